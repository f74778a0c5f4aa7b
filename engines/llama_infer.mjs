// llama.cpp through node-llama-cpp, on CPU only, with the prebuilt binary (never a build or a
// download at run time). Deterministic: greedy decoding (temperature 0) by default, or seeded
// sampling with --temp T --seed S.
//
//   node engines/llama_infer.mjs MODEL.gguf [--tokens N] [--prompt TEXT] [--temp T] [--seed S]
//                                [--threads N] [--bench SECONDS]
//
// Prints "tokens: <ids>", "text: <json string>", "checksum: <sha256 of the ids>" and, with
// --bench, repeats the generation for SECONDS and prints "tokens/s: <rate>" (generation only:
// the model load, the launch and the first run are excluded).
import { createHash } from "node:crypto";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

export function parseArgs(argv) {
    const o = { model: null, tokens: 32, prompt: "the sandbox", temp: 0, seed: 1234, threads: 1,
        bench: 0, rest: [] };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const next = () => argv[++i];
        if (a === "--tokens") o.tokens = Number(next());
        else if (a === "--prompt") o.prompt = next();
        else if (a === "--temp") o.temp = Number(next());
        else if (a === "--seed") o.seed = Number(next());
        else if (a === "--threads") o.threads = Number(next());
        else if (a === "--bench") o.bench = Number(next());
        else if (o.model === null) o.model = a;
        else o.rest.push(a);
    }
    if (!o.model) {
        console.error("usage: llama_infer.mjs MODEL.gguf [--tokens N] [--prompt TEXT] " +
            "[--temp T] [--seed S] [--threads N] [--bench SECONDS]");
        process.exit(2);
    }
    return o;
}

export async function loadModel(o) {
    // gpu: false  -> the CPU binary only (no CUDA/Vulkan probing).
    // build: "never", skipDownload, usePrebuiltBinaries -> the prebuilt binary from
    //   @node-llama-cpp/linux-x64 or an error; never a clone, a download or a cmake build.
    const llama = await getLlama({ gpu: false, build: "never", skipDownload: true,
        usePrebuiltBinaries: true, progressLogs: false, logLevel: LlamaLogLevel.error,
        maxThreads: o.threads });
    const model = await llama.loadModel({ modelPath: o.model, gpuLayers: 0, useMmap: true });
    const context = await model.createContext({ contextSize: 256, batchSize: 64,
        threads: o.threads, seed: o.seed });
    return { llama, model, context };
}

export async function generate(model, context, o) {
    const sequence = context.getSequence();
    try {
        const input = model.tokenize(o.prompt);
        const out = [];
        const opts = o.temp > 0 ? { temperature: o.temp, seed: o.seed, topK: 40 } : { temperature: 0 };
        for await (const t of sequence.evaluate(input, opts)) {
            out.push(t);
            if (out.length >= o.tokens) break;
        }
        return out;
    } finally {
        sequence.dispose();
    }
}

export function report(model, ids) {
    console.log("tokens: " + ids.join(" "));
    console.log("text: " + JSON.stringify(model.detokenize(ids)));
    console.log("checksum: " + createHash("sha256").update(ids.join(",")).digest("hex"));
}

export async function bench(model, context, o) {
    const t0 = process.hrtime.bigint();
    let n = 0;
    while (Number(process.hrtime.bigint() - t0) / 1e9 < o.bench) {
        n += (await generate(model, context, o)).length;
    }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log("tokens/s: " + (n / s).toFixed(1) + " (" + n + " tokens in " + s.toFixed(2) + " s)");
}

async function main() {
    const o = parseArgs(process.argv.slice(2));
    const { llama, model, context } = await loadModel(o);
    const ids = await generate(model, context, o);
    report(model, ids);
    if (o.bench > 0) await bench(model, context, o);
    await context.dispose();
    await model.dispose();
    await llama.dispose();
}

if (import.meta.url === `file://${process.argv[1]}`) {
    await main();
}
