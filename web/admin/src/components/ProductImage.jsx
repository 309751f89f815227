// A product's first image: only https URLs are shown, lazily, and without
// a Referer (the shop never fetches them; the browser does, from the host).
import { isHttps } from "../format.js";

export function ProductImage({ urls, alt = "", size = 48 }) {
  const url = (urls || []).find(isHttps);
  if (!url) return <span class="thumb thumb--none" aria-hidden="true" />;
  return <img class="thumb" src={url} alt={alt} width={size} height={size} loading="lazy" referrerpolicy="no-referrer" />;
}
