// Verifies a Standard Webhooks signature with Node's own crypto, as
// docs/webhooks.md shows a receiver doing it: an implementation
// independent of the Go library that signs. Reads {secret, headers, body}
// as JSON on stdin; prints the payload's id, or fails.
import { createHmac, timingSafeEqual } from "node:crypto";

function verify(secret, headers, rawBody) {
  const id = headers["webhook-id"], ts = headers["webhook-timestamp"];
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) throw new Error("timestamp too old or too new");
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const want = Buffer.from("v1," + createHmac("sha256", key).update(`${id}.${ts}.${rawBody}`).digest("base64"));
  const ok = headers["webhook-signature"].split(" ").some((sig) => sig.length === want.length && timingSafeEqual(Buffer.from(sig), want));
  if (!ok) throw new Error("bad signature");
  return JSON.parse(rawBody); // {id, type, createdAt, data}
}

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const { secret, headers, body } = JSON.parse(input);
try {
  console.log(verify(secret, headers, body).id);
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
