// ONNX Runtime through onnxruntime-node, CPU execution provider, one thread, a fixed input.
//
//   node engines/onnx_infer.mjs MODEL.onnx [--threads N] [--bench SECONDS]
//
// Prints "output: <first values>", "checksum: <sha256 of the output's float32 bytes>" and, with
// --bench, repeats the inference for SECONDS and prints "inferences/s: <rate>" (session
// creation, the launch and the first run excluded).
import { createHash } from "node:crypto";
import ort from "onnxruntime-node";

export function parseArgs(argv) {
    const o = { model: null, threads: 1, bench: 0, rest: [] };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--threads") o.threads = Number(argv[++i]);
        else if (a === "--bench") o.bench = Number(argv[++i]);
        else if (o.model === null) o.model = a;
        else o.rest.push(a);
    }
    if (!o.model) {
        console.error("usage: onnx_infer.mjs MODEL.onnx [--threads N] [--bench SECONDS]");
        process.exit(2);
    }
    return o;
}

export async function loadSession(o) {
    return ort.InferenceSession.create(o.model, {
        executionProviders: ["cpu"], intraOpNumThreads: o.threads, interOpNumThreads: 1,
        graphOptimizationLevel: "all", logSeverityLevel: 3,
    });
}

// The input: x[i] = sin(i) / 2 over the model's [4, 64] input, the same on every run.
export function fixedInput(session) {
    const x = new Float32Array(4 * 64);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(i) / 2;
    return { [session.inputNames[0]]: new ort.Tensor("float32", x, [4, 64]) };
}

export async function infer(session, feeds) {
    const out = await session.run(feeds);
    return out[session.outputNames[0]].data;
}

export function report(y) {
    console.log("output: " + Array.from(y.slice(0, 4), (v) => v.toFixed(6)).join(" "));
    console.log("checksum: " + createHash("sha256")
        .update(Buffer.from(y.buffer, y.byteOffset, y.byteLength)).digest("hex"));
}

export async function bench(session, feeds, seconds) {
    const t0 = process.hrtime.bigint();
    let n = 0;
    while (Number(process.hrtime.bigint() - t0) / 1e9 < seconds) {
        for (let i = 0; i < 100; i++) await session.run(feeds);
        n += 100;
    }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log("inferences/s: " + (n / s).toFixed(1) + " (" + n + " in " + s.toFixed(2) + " s)");
}

async function main() {
    const o = parseArgs(process.argv.slice(2));
    const session = await loadSession(o);
    const feeds = fixedInput(session);
    report(await infer(session, feeds));
    if (o.bench > 0) await bench(session, feeds, o.bench);
    await session.release();
}

if (import.meta.url === `file://${process.argv[1]}`) {
    await main();
}
