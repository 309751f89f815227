// Revenue and orders per day as a uPlot chart (revenue on the left axis,
// orders on the right), sized to its container, with the same figures as
// a table for screen readers and keyboard users.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatDay, formatMoney } from "../format.js";

const REVENUE = "#1d5fbf";
const ORDERS = "#b4460b";

export function SalesChart({ days }) {
  const box = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const xs = days.map((d) => Date.parse(`${d.date}T00:00:00Z`) / 1000);
    const data = [xs, days.map((d) => d.revenue), days.map((d) => d.orders)];
    const width = () => Math.max(280, el.clientWidth);
    const height = () => (el.clientWidth < 500 ? 220 : 300);
    const plot = new uPlot(
      {
        width: width(),
        height: height(),
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, orders: { range: (u, min, max) => [0, Math.max(4, max)] } },
        series: [
          {},
          {
            label: "Revenue",
            stroke: REVENUE,
            width: 2,
            fill: "rgba(29, 95, 191, 0.12)",
            value: (u, v) => (v == null ? "—" : formatMoney(v)),
            scale: "$",
          },
          { label: "Orders", stroke: ORDERS, width: 2, scale: "orders", value: (u, v) => (v == null ? "—" : String(v)) },
        ],
        axes: [
          { stroke: "#333" },
          { scale: "$", stroke: "#333", values: (u, vals) => vals.map((v) => "$" + v), size: 60 },
          { scale: "orders", side: 1, stroke: "#333", grid: { show: false }, values: (u, vals) => vals.map((v) => (Number.isInteger(v) ? v : "")) },
        ],
      },
      data,
      el,
    );
    const ro = new ResizeObserver(() => plot.setSize({ width: width(), height: height() }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [days]);
  return (
    <figure class="chart">
      <div ref={box} class="chart__plot" role="img" aria-label={`Revenue and orders per day over the last ${days.length} days`} />
      <figcaption>
        <details>
          <summary>The figures as a table</summary>
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Sales per day (UTC)</caption>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col" class="num">
                    Orders
                  </th>
                  <th scope="col" class="num">
                    Revenue
                  </th>
                </tr>
              </thead>
              <tbody>
                {days.map((d) => (
                  <tr key={d.date}>
                    <td>{formatDay(d.date)}</td>
                    <td class="num">{d.orders}</td>
                    <td class="num">{formatMoney(d.revenue)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      </figcaption>
    </figure>
  );
}
