// The frame of the pages anyone may open from an email (no sign-in): the
// shop's name, the page's title and its content, in one centred panel.
import { useEffect } from "preact/hooks";

export function PublicFrame({ title, children }) {
  useEffect(() => {
    document.title = `${title} · shop`;
  }, [title]);
  return (
    <main id="main" class="signin public">
      <section class="signin__form panel" aria-labelledby="public-title">
        <p class="public__brand">shop</p>
        <h1 id="public-title">{title}</h1>
        {children}
      </section>
    </main>
  );
}
