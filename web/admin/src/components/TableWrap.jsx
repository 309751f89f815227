// A table's scrolling box. When the table is wider than the box (a phone),
// keyboard users must be able to scroll it too: the box then becomes a
// named, focusable region (WCAG 2.1.1); while it fits it stays out of the
// tab order.
import { useEffect, useRef, useState } from "preact/hooks";

export function TableWrap({ label, children, ...rest }) {
  const ref = useRef(null);
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === "undefined") return undefined;
    const check = () => setScrolls(el.scrollWidth > el.clientWidth + 1);
    const ro = new ResizeObserver(check);
    ro.observe(el);
    if (el.firstElementChild) ro.observe(el.firstElementChild);
    check();
    return () => ro.disconnect();
  }, []);
  return (
    <div
      ref={ref}
      class="table-wrap"
      {...rest}
      tabIndex={scrolls ? 0 : undefined}
      role={scrolls ? "region" : undefined}
      aria-label={scrolls ? label : undefined}
    >
      {children}
    </div>
  );
}
