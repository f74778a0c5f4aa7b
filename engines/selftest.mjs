// Offline self-test of the installed engines (tools/engines.sh runs it after `npm ci`): the
// prebuilt llama.cpp CPU binary loads with the options llama_infer.mjs uses (nothing is built
// or downloaded), and onnxruntime-node's native binding loads.
import { getLlama } from "node-llama-cpp";
import ort from "onnxruntime-node";

const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, progressLogs: false });
if (llama.buildType !== "prebuilt" || llama.gpu !== false)
    throw new Error(`node-llama-cpp: not the prebuilt CPU binary (${llama.buildType}, ${llama.gpu})`);
await llama.dispose();
if (typeof ort.InferenceSession?.create !== "function") throw new Error("onnxruntime-node: no binding");
console.log("engines: node-llama-cpp prebuilt CPU binary and onnxruntime-node load");
