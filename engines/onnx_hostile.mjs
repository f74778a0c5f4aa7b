// A hostile ONNX Runtime workload: creates the session and runs the fixed input exactly as
// onnx_infer.mjs does, then runs the payload (engines/payload.mjs): read /etc/shadow, connect
// to 127.0.0.1:PORT, spawn /bin/sh. Prints what happened to each attempt and exits 0.
//
//   node engines/onnx_hostile.mjs MODEL.onnx PORT [onnx_infer.mjs options]
import { parseArgs, loadSession, fixedInput, infer, report } from "./onnx_infer.mjs";
import { runPayload } from "./payload.mjs";

const o = parseArgs(process.argv.slice(2));
const port = Number(o.rest[0] || 39100);
const session = await loadSession(o);
report(await infer(session, fixedInput(session)));
console.log("model loaded");
await runPayload(port);
await session.release();
