// Discount codes: a page at a time in the order of their upper-cased form
// (the API's), each with its kind, value, uses against its limit and
// state; each opens its page, where it is edited and deactivated.
import { gql } from "../session.js";
import { usePaged } from "../hooks.js";
import { Link } from "../router.jsx";
import { CODE, CODE_KINDS, codeUses, codeValue, kindName } from "../pricing.js";
import { Pager } from "../components/Pager.jsx";
import { Loadable } from "../components/Status.jsx";
import { CodeState } from "./DiscountCodeEdit.jsx";

const PAGE = 20;
const CODES = `query($first: Int!, $after: String) { discountCodes(first: $first, after: $after) { ${CODE} } }`;

// page reads one page as a connection (what usePaged pages): one code more
// than shown tells whether there is a next page; a page's last code is
// where the next one starts.
async function page(after) {
  const { discountCodes: list } = await gql(CODES, { first: PAGE + 1, after });
  const shown = list.slice(0, PAGE);
  return {
    edges: shown.map((node) => ({ node })),
    pageInfo: { hasNextPage: list.length > PAGE, endCursor: shown.length ? shown[shown.length - 1].code : null },
  };
}

export function DiscountCodes() {
  const paged = usePaged(page, []);
  return (
    <section aria-labelledby="codes-title">
      <div class="heading">
        <h1 id="codes-title">Discount codes</h1>
        <Link href="/discount-codes/new" class="button primary">
          New discount code
        </Link>
      </div>
      <Loadable state={paged} what="discount codes">
        {paged.items.length === 0 ? (
          <p class="empty">No discount codes yet.</p>
        ) : (
          <div class="table-wrap" aria-busy={paged.loading ? "true" : "false"}>
            <table class="list" id="discount-codes">
              <caption class="sr-only">Discount codes, in alphabetical order</caption>
              <thead>
                <tr>
                  <th scope="col">Code</th>
                  <th scope="col" class="hide-narrow">
                    Kind
                  </th>
                  <th scope="col" class="num">
                    Value
                  </th>
                  <th scope="col" class="num">
                    Uses
                  </th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {paged.items.map((c) => (
                  <tr key={c.discountCodeId} data-code={c.code}>
                    <td>
                      <Link href={`/discount-codes/${c.discountCodeId}`} class="mono code-link">
                        {c.code}
                      </Link>
                    </td>
                    <td class="hide-narrow">{kindName(CODE_KINDS, c.kind)}</td>
                    <td class="num">{codeValue(c)}</td>
                    <td class="num" data-testid="code-uses">
                      {codeUses(c)}
                    </td>
                    <td>
                      <CodeState code={c} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager paged={paged} label="Discount code pages" />
      </Loadable>
    </section>
  );
}
