// The peer: node-llama-cpp@3.21.1 on the same prebuilt llama.cpp libraries as tsuku-llm (@node-llama-cpp/linux-x64
// for cpu, -vulkan for vulkan), measured exactly like bench/bare_decode.cpp: the same deterministic prompt token ids,
// greedy generation, medians of --runs rounds after --warmups, each on an empty sequence. Prints one JSON line.
//
//   node peer.mjs --model M.gguf [--prompt-tokens 128] [--gen-tokens 64] [--threads 2] [--ctx 4096]
//                 [--gpu false|vulkan|cuda] [--runs 3] [--warmups 1] [--vocab N]
// --vocab: the model's vocabulary size, which bare-decode prints (n_vocab); the prompt ids depend on it.
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

function parseArgs(argv) {
    const o = { model: "", promptTokens: 128, genTokens: 64, threads: 2, ctx: 4096, gpu: "false", runs: 3, warmups: 1,
                vocab: 151936 };
    const names = { "--model": "model", "--prompt-tokens": "promptTokens", "--gen-tokens": "genTokens",
                    "--threads": "threads", "--ctx": "ctx", "--gpu": "gpu", "--runs": "runs", "--warmups": "warmups",
                    "--vocab": "vocab" };
    for (let i = 2; i < argv.length; i += 2) {
        const key = names[argv[i]];
        if (!key || i + 1 >= argv.length) throw new Error(`peer.mjs: unknown or incomplete option ${argv[i]}`);
        o[key] = key === "model" || key === "gpu" ? argv[i + 1] : Number(argv[i + 1]);
    }
    if (!o.model) throw new Error("peer.mjs: --model is required");
    return o;
}

const median = (v) => {
    const s = [...v].sort((a, b) => a - b);
    const n = s.length;
    return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

const o = parseArgs(process.argv);
const gpu = o.gpu === "false" ? false : o.gpu;
const llama = await getLlama({ gpu, build: "never", usePrebuiltBinaries: true, maxThreads: o.threads,
                               logLevel: LlamaLogLevel.error, progressLogs: false });
const model = await llama.loadModel({ modelPath: o.model, gpuLayers: gpu ? "max" : 0 });
// flashAttention "auto" and batch 512 are llama.cpp's defaults, which tsuku-llm and bare-decode use.
const context = await model.createContext({ contextSize: o.ctx, batchSize: Math.max(512, o.promptTokens),
                                            threads: { ideal: o.threads, min: o.threads }, flashAttention: "auto",
                                            sequences: 1 });
const sequence = context.getSequence();

// The same ids as bare-decode: ordinary tokens, skipping the first (often special) ids.
const prompt = Array.from({ length: o.promptTokens }, (_, i) => 1000 + ((i * 7919) % Math.floor(o.vocab / 2)));

const pp = [], tg = [];
let generated = 0;
for (let round = 0; round < o.warmups + o.runs; ++round) {
    await sequence.clearHistory();
    const t0 = performance.now();
    let t1 = 0;
    generated = 0;
    // The first token arrives once the prompt is evaluated: that is the prompt time (plus one sample, as in
    // bare-decode's first generation step). Every further token is one decode and one greedy sample.
    for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
        void token;
        if (generated === 0) t1 = performance.now();
        if (++generated >= o.genTokens + 1) break;
    }
    const t2 = performance.now();
    if (round < o.warmups) continue;
    pp.push(o.promptTokens / ((t1 - t0) / 1000));
    tg.push((generated - 1) / ((t2 - t1) / 1000));
}
generated -= 1;
const p = median(pp), g = median(tg);
console.log(JSON.stringify({ prompt_tokens: o.promptTokens, prompt_seconds: o.promptTokens / p, prompt_tps: p,
                             gen_tokens: generated, gen_seconds: generated / g, gen_tps: g, threads: o.threads,
                             runs: o.runs, gpu: llama.gpu, build: llama.buildType }));
await context.dispose();
await model.dispose();
await llama.dispose();
