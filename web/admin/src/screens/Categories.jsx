// Categories: the tree, create, rename, move and delete.
import { useState } from "preact/hooks";
import { gql } from "../session.js";
import { useAction, useAsync } from "../hooks.js";
import { Link } from "../router.jsx";
import { fieldErrors } from "../api.js";
import { categoryOptions, loadCategories } from "../categories.js";
import { plural } from "../format.js";
import { SelectField, TextField } from "../components/Field.jsx";
import { Confirm } from "../components/Confirm.jsx";
import { ActionStatus, Loadable } from "../components/Status.jsx";

export function Categories() {
  const state = useAsync(loadCategories, []);
  const tree = state.data || [];
  return (
    <section aria-labelledby="categories-title">
      <div class="heading">
        <h1 id="categories-title">Categories</h1>
      </div>
      <div class="detail">
        <div class="detail__main">
          <Loadable state={state} what="categories">
            {tree.length === 0 ? (
              <p class="empty">No categories yet.</p>
            ) : (
              <ul class="tree" aria-label="Category tree">
                {tree.map((c, i) => (
                  <CategoryRow key={c.id} category={c} tree={tree} index={i} reload={state.reload} />
                ))}
              </ul>
            )}
          </Loadable>
        </div>
        <div class="detail__side">
          <CreateCategory tree={tree} reload={state.reload} />
        </div>
      </div>
    </section>
  );
}

// subtree is the ids of c and everything under it (the list is depth first).
function subtree(tree, index) {
  const ids = new Set([tree[index].id]);
  for (let i = index + 1; i < tree.length && tree[i].depth > tree[index].depth; i++) ids.add(tree[i].id);
  return ids;
}

function CategoryRow({ category: c, tree, index, reload }) {
  const [mode, setMode] = useState("");
  const [name, setName] = useState(c.name);
  const [parent, setParent] = useState(c.parent?.id || "");
  const action = useAction();
  const errs = fieldErrors(action.error);
  const update = (vars, msg) =>
    action.run(async () => {
      const d = await gql("mutation($id: String!, $name: String, $parentId: String) { updateCategory(id: $id, name: $name, parentId: $parentId) { id name } }", {
        id: c.id,
        ...vars,
      });
      if (!d.updateCategory) throw new Error("The category no longer exists.");
      setMode("");
      reload();
    }, msg);
  const remove = () =>
    action.run(async () => {
      const d = await gql("mutation($id: String!) { deleteCategory(id: $id) }", { id: c.id });
      if (!d.deleteCategory) throw new Error("The category was already gone.");
      reload();
    }, `Deleted ${c.name}.`);
  const inside = subtree(tree, index);
  const parents = categoryOptions(tree.filter((t) => !inside.has(t.id)), "Top level");
  return (
    <li class={`tree__item depth-${Math.min(c.depth, 5)}`} data-category={c.name}>
      <div class="tree__row">
        <span class="tree__name">{c.name}</span>
        <Link href={`/products?category=${c.id}`} class="muted tree__count">
          {plural(c.productCount, "product")}
        </Link>
        <span class="tree__actions">
          <button type="button" class="small" aria-expanded={mode === "rename" ? "true" : "false"} onClick={() => setMode(mode === "rename" ? "" : "rename")}>
            Rename<span class="sr-only"> {c.name}</span>
          </button>
          <button type="button" class="small" aria-expanded={mode === "move" ? "true" : "false"} onClick={() => setMode(mode === "move" ? "" : "move")}>
            Move<span class="sr-only"> {c.name}</span>
          </button>
          <Confirm label="Delete" question={`Delete ${c.name}?`} confirmLabel="Yes, delete" onConfirm={remove} disabled={action.busy} />
        </span>
      </div>
      {mode === "rename" && (
        <form
          class="tree__form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            update({ name }, `Renamed to ${name.trim()}.`);
          }}
        >
          <TextField label={`New name for ${c.name}`} value={name} onInput={setName} maxLength={100} error={errs.name} />
          <button type="submit" disabled={action.busy}>
            {action.busy ? "Saving…" : "Save name"}
          </button>
        </form>
      )}
      {mode === "move" && (
        <form
          class="tree__form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            update({ parentId: parent }, `Moved ${c.name}.`);
          }}
        >
          <SelectField label={`Move ${c.name} under`} value={parent} onChange={setParent} options={parents} error={errs.parentId} />
          <button type="submit" disabled={action.busy}>
            {action.busy ? "Moving…" : "Move"}
          </button>
        </form>
      )}
      <ActionStatus action={action} busyText="" />
    </li>
  );
}

function CreateCategory({ tree, reload }) {
  const [name, setName] = useState("");
  const [parent, setParent] = useState("");
  const action = useAction();
  const errs = fieldErrors(action.error);
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      const d = await gql("mutation($name: String!, $parentId: String) { createCategory(name: $name, parentId: $parentId) { id name } }", {
        name,
        parentId: parent || null,
      });
      setName("");
      reload();
      return d.createCategory;
    }, (c) => `Created ${c.name}.`);
  };
  return (
    <form class="panel form" onSubmit={submit} noValidate aria-labelledby="new-category-title">
      <h2 id="new-category-title">New category</h2>
      <TextField label="Name" value={name} onInput={setName} maxLength={100} error={errs.name} hint="1 to 100 characters; makes the slug." />
      <SelectField label="Parent" value={parent} onChange={setParent} options={categoryOptions(tree, "Top level")} error={errs.parentId} />
      <div class="form__actions">
        <button type="submit" class="primary" disabled={action.busy}>
          {action.busy ? "Creating…" : "Create category"}
        </button>
        <ActionStatus action={action} busyText="" />
      </div>
    </form>
  );
}
