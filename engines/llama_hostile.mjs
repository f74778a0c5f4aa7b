// A hostile llama.cpp workload: loads and runs the model exactly as llama_infer.mjs does, then
// runs the payload (engines/payload.mjs): read /etc/shadow, connect to 127.0.0.1:PORT, spawn
// /bin/sh. Prints what happened to each attempt and exits 0.
//
//   node engines/llama_hostile.mjs MODEL.gguf PORT [llama_infer.mjs options]
import { parseArgs, loadModel, generate, report } from "./llama_infer.mjs";
import { runPayload } from "./payload.mjs";

const o = parseArgs(process.argv.slice(2));
const port = Number(o.rest[0] || 39100);
const { llama, model, context } = await loadModel(o);
report(model, await generate(model, context, o));
console.log("model loaded");
await runPayload(port);
await context.dispose();
await model.dispose();
await llama.dispose();
