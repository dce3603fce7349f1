// gguf-gen: writes a qwen2-architecture GGUF with the real qwen2 vocabulary (copied from llama.cpp's
// models/ggml-vocab-qwen2.gguf), the Qwen2.5 chat template and seeded random weights. Its text is noise; its
// cost per token is the real cost of the shape. Uses ggml's own GGUF writer and quantizers.
//
//   gguf-gen --vocab ggml-vocab-qwen2.gguf --template Qwen2.5.jinja --shape tiny --type q8_0 --seed 1 -o out.gguf
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/exit_codes.h"
#include "ggml.h"
#include "gguf.h"
#include "shapes.h"

namespace fs = std::filesystem;
using tsuku::tools::ModelShape;

namespace {

struct GgufDeleter {
    void operator()(gguf_context* c) const { gguf_free(c); }
};
struct GgmlDeleter {
    void operator()(ggml_context* c) const { ggml_free(c); }
};
using GgufPtr = std::unique_ptr<gguf_context, GgufDeleter>;
using GgmlPtr = std::unique_ptr<ggml_context, GgmlDeleter>;

struct WeightType {
    const char* name;
    ggml_type type;      // of every weight matrix; for a mix, of those the mix does not pick otherwise
    uint32_t file_type;  // llama_ftype: general.file_type
    bool q4_k_m_mix;     // the types of llama.cpp's Q4_K_M (q4_k_m_type)
};
constexpr WeightType kWeightTypes[] = {
    {"f16", GGML_TYPE_F16, 1, false},
    {"q8_0", GGML_TYPE_Q8_0, 7, false},
    {"q4_0", GGML_TYPE_Q4_0, 2, false},
    {"q4_k_m", GGML_TYPE_Q4_K, 15, true},  // what the real models are published in
};

// The weight matrices whose type llama.cpp's Q4_K_M mix chooses apart.
enum class Role { embeddings, attn_v, ffn_down, other };

// llama.cpp's Q4_K_M (src/llama-quant.cpp, llama_tensor_get_type) for a qwen2 model without output.weight: the
// embeddings take the output's type (Q6_K), attn_v and ffn_down take Q6_K in the layers use_more_bits picks (the first
// and last eighth, and every third between), everything else Q4_K. K-quants pack rows of 256: a row length that is not
// a multiple falls back as llama.cpp does (embeddings Q8_0; Q4_K to Q5_0, Q6_K to Q8_0), as in Qwen2.5 0.5B whose
// 896-wide rows put most of it in Q5_0. tests/model/gguf_gen_test.cpp checks this against llama_model_quantize.
ggml_type q4_k_m_type(Role role, uint32_t layer, uint32_t n_layer, int64_t n_per_row) {
    const bool whole_blocks = n_per_row % ggml_blck_size(GGML_TYPE_Q4_K) == 0;
    if (role == Role::embeddings) return whole_blocks ? GGML_TYPE_Q6_K : GGML_TYPE_Q8_0;
    const auto i = static_cast<int64_t>(layer), n = static_cast<int64_t>(n_layer);
    const bool more_bits = i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    const bool six = (role == Role::attn_v || role == Role::ffn_down) && more_bits;
    if (whole_blocks) return six ? GGML_TYPE_Q6_K : GGML_TYPE_Q4_K;
    return six ? GGML_TYPE_Q8_0 : GGML_TYPE_Q5_0;
}

// splitmix64: tiny, fast and good enough for noise weights; seeded per (seed, tensor, chunk) so the output
// is the same whatever the thread count.
struct SplitMix64 {
    uint64_t s;
    uint64_t next() {
        uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    float uniform(float scale) {  // in [-scale, scale)
        return scale * (static_cast<float>(next() >> 40) * (2.0f / 16777216.0f) - 1.0f);
    }
};

uint64_t hash_name(const std::string& s) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
}

struct TensorPlan {
    std::string name;
    int64_t n_per_row;
    int64_t n_rows;
    ggml_type type;
    enum class Fill { random, ones, zeros } fill;
};

std::vector<TensorPlan> plan_tensors(const ModelShape& s, int64_t n_vocab, const WeightType& wt) {
    const int64_t head_dim = s.n_embd / s.n_head;
    const int64_t n_embd_kv = head_dim * s.n_head_kv;
    std::vector<TensorPlan> t;
    using F = TensorPlan::Fill;
    uint32_t layer = 0;
    const auto weight = [&](Role role, int64_t n_per_row) {
        return wt.q4_k_m_mix ? q4_k_m_type(role, layer, s.n_layer, n_per_row) : wt.type;
    };
    const auto matrix = [&](Role role, const std::string& name, int64_t n_per_row, int64_t n_rows) {
        t.push_back({name, n_per_row, n_rows, weight(role, n_per_row), F::random});
    };
    // Output is tied to token_embd (as in Qwen2.5 0.5B/1.5B/3B): llama.cpp reuses it when output.weight is absent.
    matrix(Role::embeddings, "token_embd.weight", s.n_embd, n_vocab);
    t.push_back({"output_norm.weight", s.n_embd, 1, GGML_TYPE_F32, F::ones});
    for (; layer < s.n_layer; ++layer) {
        const std::string p = "blk." + std::to_string(layer) + ".";
        t.push_back({p + "attn_norm.weight", s.n_embd, 1, GGML_TYPE_F32, F::ones});
        matrix(Role::other, p + "attn_q.weight", s.n_embd, s.n_embd);
        t.push_back({p + "attn_q.bias", s.n_embd, 1, GGML_TYPE_F32, F::zeros});
        matrix(Role::other, p + "attn_k.weight", s.n_embd, n_embd_kv);
        t.push_back({p + "attn_k.bias", n_embd_kv, 1, GGML_TYPE_F32, F::zeros});
        matrix(Role::attn_v, p + "attn_v.weight", s.n_embd, n_embd_kv);
        t.push_back({p + "attn_v.bias", n_embd_kv, 1, GGML_TYPE_F32, F::zeros});
        matrix(Role::other, p + "attn_output.weight", s.n_embd, s.n_embd);
        t.push_back({p + "ffn_norm.weight", s.n_embd, 1, GGML_TYPE_F32, F::ones});
        matrix(Role::other, p + "ffn_gate.weight", s.n_embd, s.n_ff);
        matrix(Role::other, p + "ffn_up.weight", s.n_embd, s.n_ff);
        matrix(Role::ffn_down, p + "ffn_down.weight", s.n_ff, s.n_embd);
    }
    return t;
}

// Produces the bytes of rows [row0, row0+nrows) of one tensor.
std::vector<uint8_t> make_rows(const TensorPlan& p, uint64_t seed, int64_t row0, int64_t nrows) {
    const size_t n = static_cast<size_t>(p.n_per_row * nrows);
    std::vector<float> f(n);
    switch (p.fill) {
        case TensorPlan::Fill::ones: std::fill(f.begin(), f.end(), 1.0f); break;
        case TensorPlan::Fill::zeros: std::fill(f.begin(), f.end(), 0.0f); break;
        case TensorPlan::Fill::random: {
            SplitMix64 rng{seed ^ hash_name(p.name) ^ (static_cast<uint64_t>(row0) * 0x9E3779B97F4A7C15ull)};
            const float scale = 1.0f / std::sqrt(static_cast<float>(p.n_per_row));
            for (auto& x : f) x = rng.uniform(scale);
            break;
        }
    }
    const size_t bytes = ggml_row_size(p.type, p.n_per_row) * static_cast<size_t>(nrows);
    std::vector<uint8_t> out(bytes);
    if (p.type == GGML_TYPE_F32) {
        std::memcpy(out.data(), f.data(), bytes);
    } else {
        ggml_quantize_chunk(p.type, f.data(), out.data(), 0, nrows, p.n_per_row, nullptr);
    }
    return out;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_all(FILE* f, const void* data, size_t n, const fs::path& path) {
    if (n && std::fwrite(data, 1, n, f) != n) throw std::runtime_error("write failed: " + path.string());
}

void generate(const fs::path& vocab_path, const fs::path& template_path, const ModelShape& shape, const WeightType& wt,
              uint64_t seed, unsigned threads, const fs::path& out_path) {
    gguf_init_params vp{/*no_alloc=*/true, /*ctx=*/nullptr};
    GgufPtr vocab(gguf_init_from_file(vocab_path.c_str(), vp));
    if (!vocab) throw std::runtime_error("not a readable GGUF vocabulary: " + vocab_path.string());
    const int64_t tok_key = gguf_find_key(vocab.get(), "tokenizer.ggml.tokens");
    if (tok_key < 0) throw std::runtime_error("vocabulary has no tokenizer.ggml.tokens: " + vocab_path.string());
    const auto n_vocab = static_cast<int64_t>(gguf_get_arr_n(vocab.get(), tok_key));

    GgufPtr ctx(gguf_init_empty());
    gguf_set_kv(ctx.get(), vocab.get());  // tokenizer.* and friends, exactly as llama.cpp ships them
    const std::string arch = "qwen2";
    gguf_set_val_str(ctx.get(), "general.architecture", arch.c_str());
    const std::string name = "tsuku-synthetic-qwen2-" + shape.name + "-" + wt.name;
    gguf_set_val_str(ctx.get(), "general.name", name.c_str());
    gguf_set_val_str(ctx.get(), "general.description",
                     "Synthetic model: qwen2 architecture, real qwen2 vocabulary, seeded random weights. "
                     "Its text is noise; its cost per token is real.");
    gguf_set_val_u32(ctx.get(), "general.file_type", wt.file_type);
    gguf_set_val_u64(ctx.get(), "tsuku.synthetic.seed", seed);
    gguf_set_val_u32(ctx.get(), (arch + ".context_length").c_str(), shape.n_ctx_train);
    gguf_set_val_u32(ctx.get(), (arch + ".embedding_length").c_str(), shape.n_embd);
    gguf_set_val_u32(ctx.get(), (arch + ".block_count").c_str(), shape.n_layer);
    gguf_set_val_u32(ctx.get(), (arch + ".feed_forward_length").c_str(), shape.n_ff);
    gguf_set_val_u32(ctx.get(), (arch + ".attention.head_count").c_str(), shape.n_head);
    gguf_set_val_u32(ctx.get(), (arch + ".attention.head_count_kv").c_str(), shape.n_head_kv);
    gguf_set_val_f32(ctx.get(), (arch + ".rope.freq_base").c_str(), shape.rope_freq_base);
    gguf_set_val_f32(ctx.get(), (arch + ".attention.layer_norm_rms_epsilon").c_str(), shape.rms_eps);
    if (!template_path.empty()) {
        const std::string tmpl = read_file(template_path);
        gguf_set_val_str(ctx.get(), "tokenizer.chat_template", tmpl.c_str());
    }

    const auto plan = plan_tensors(shape, n_vocab, wt);
    ggml_init_params gp{ggml_tensor_overhead() * (plan.size() + 1), nullptr, /*no_alloc=*/true};
    GgmlPtr meta(ggml_init(gp));
    for (const auto& p : plan) {
        ggml_tensor* t = p.n_rows == 1 ? ggml_new_tensor_1d(meta.get(), p.type, p.n_per_row)
                                       : ggml_new_tensor_2d(meta.get(), p.type, p.n_per_row, p.n_rows);
        ggml_set_name(t, p.name.c_str());
        gguf_add_tensor(ctx.get(), t);
    }

    // Written to a temporary name and renamed: an interrupted run never leaves a half-written model behind.
    const fs::path tmp_path = out_path.string() + ".partial";
    FILE* f = std::fopen(tmp_path.c_str(), "wb");
    if (!f) throw std::runtime_error("cannot create " + tmp_path.string());
    std::unique_ptr<FILE, int (*)(FILE*)> file(f, &std::fclose);
    std::vector<uint8_t> meta_bytes(gguf_get_meta_size(ctx.get()));
    gguf_get_meta_data(ctx.get(), meta_bytes.data());
    write_all(f, meta_bytes.data(), meta_bytes.size(), tmp_path);

    const size_t data_offset = meta_bytes.size();  // the meta block already ends padded to the alignment
    const size_t align = gguf_get_alignment(ctx.get());
    const std::vector<uint8_t> zeros(align, 0);
    size_t written = 0;  // bytes of the data section so far
    for (size_t i = 0; i < plan.size(); ++i) {
        const auto& p = plan[i];
        const size_t want = gguf_get_tensor_offset(ctx.get(), static_cast<int64_t>(i));
        if (want < written) throw std::logic_error("tensor offsets out of order");
        write_all(f, zeros.data(), want - written, tmp_path);
        written = want;
        // Rows are produced in chunks, several chunks in parallel, written in order.
        const int64_t rows_per_chunk = std::max<int64_t>(1, (1 << 20) / p.n_per_row);
        for (int64_t row = 0; row < p.n_rows;) {
            std::vector<std::vector<uint8_t>> parts(threads);
            std::vector<std::thread> workers;
            int64_t r = row;
            for (unsigned w = 0; w < threads && r < p.n_rows; ++w) {
                const int64_t n = std::min(rows_per_chunk, p.n_rows - r);
                workers.emplace_back([&parts, &p, seed, w, r, n] { parts[w] = make_rows(p, seed, r, n); });
                r += n;
            }
            for (auto& t : workers) t.join();
            for (size_t w = 0; w < workers.size(); ++w) {
                write_all(f, parts[w].data(), parts[w].size(), tmp_path);
                written += parts[w].size();
            }
            row = r;
        }
        if (written - want != gguf_get_tensor_size(ctx.get(), static_cast<int64_t>(i))) {
            throw std::logic_error("tensor " + p.name + ": wrote a different size than the header declares");
        }
    }
    write_all(f, zeros.data(), (align - written % align) % align, tmp_path);
    if (std::fflush(f) != 0 ||
        std::ftell(f) != static_cast<long>(data_offset + written + (align - written % align) % align)) {
        throw std::runtime_error("write failed: " + tmp_path.string());
    }
    file.reset();
    fs::rename(tmp_path, out_path);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Write a synthetic qwen2 GGUF: real vocabulary, seeded random weights."};
    std::string vocab, tmpl, shape_name = "tiny", type_name = "q8_0", out;
    uint64_t seed = 1;
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::string> shape_names, type_names;
    for (const auto& s : tsuku::tools::model_shapes()) shape_names.push_back(s.name);
    for (const auto& t : kWeightTypes) type_names.emplace_back(t.name);
    app.add_option("--vocab", vocab, "llama.cpp's models/ggml-vocab-qwen2.gguf")->required()->check(CLI::ExistingFile);
    app.add_option("--template", tmpl, "chat template (jinja) to embed")->check(CLI::ExistingFile);
    app.add_option("--shape", shape_name, "model shape")->check(CLI::IsMember(shape_names));
    app.add_option("--type", type_name, "weight type")->check(CLI::IsMember(type_names));
    app.add_option("--seed", seed, "random seed");
    app.add_option("--threads", threads, "worker threads")->check(CLI::Range(1u, 256u));
    app.add_option("-o,--output", out, "output file")->required();
    CLI11_PARSE(app, argc, argv);

    const auto shape = *tsuku::tools::find_shape(shape_name);
    const auto* wt = std::find_if(std::begin(kWeightTypes), std::end(kWeightTypes),
                                  [&](const WeightType& w) { return type_name == w.name; });
    try {
        generate(vocab, tmpl, shape, *wt, seed, threads, out);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gguf-gen: error: %s\n", e.what());
        return tsuku::to_int(tsuku::ExitCode::failure);
    }
    std::printf("%s: %s shape, %s weights, %ju bytes\n", out.c_str(), shape.name.c_str(), wt->name,
                static_cast<uintmax_t>(fs::file_size(out)));
    return 0;
}
