// The category list as a tree: categories come depth first, siblings by
// name, so each one's depth is its parent's plus one.
import { gql } from "./session.js";

export const CATEGORIES = "query { categories { id name slug productCount parent { id } } }";

/** loadCategories returns the categories in tree order, each with its depth. */
export async function loadCategories() {
  const { categories } = await gql(CATEGORIES);
  return withDepth(categories);
}

export function withDepth(categories) {
  const depth = new Map();
  return categories.map((c) => {
    const d = c.parent ? (depth.get(c.parent.id) ?? 0) + 1 : 0;
    depth.set(c.id, d);
    return { ...c, depth: d };
  });
}

/** categoryOptions are [id, indented name] pairs for a <select>. */
export function categoryOptions(tree, none = "No category") {
  return [["", none], ...tree.map((c) => [c.id, `${"\u2003".repeat(c.depth)}${c.name}`])];
}
