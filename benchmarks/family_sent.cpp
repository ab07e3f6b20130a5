// SENT — the seed study's second experiment (Hlav 2019; docs/RESEARCH.md §3): orthogonal
// initialization and (gain-adjusted) orthogonality penalties on an LSTM's recurrent kernel for
// sentence sentiment — the study found no effect of orthogonality there.
//
// Data: the sentence polarity dataset v1.0 (Pang & Lee 2005), text.hpp: 10,662 snippets, a fixed
// 80/10/10 split (seed 0: 8,530 / 1,066 / 1,066), vocabulary from the training part, 50 tokens
// (padded in front, cut at the end). The faithful half (`n:5330`): every other line, as the
// study's loader read the files (4,264 / 533 / 533, the study's split sizes). The key `n` (the
// snippets in the pool: 10662 or 5330) tells the two apart; `dataset` stays rt-polarity.
// Embeddings: learned (trainable, uniform ±0.05 init) — no pretrained vectors are reachable here;
// ISOBENCH_EMBEDDINGS=/path/to/vectors (GloVe / word2vec text or word2vec binary, raw or gzip'd;
// word_vectors.hpp) loads pretrained vectors for the vocabulary words found (the embedding
// dimension becomes the file's) and ISOBENCH_EMBEDDINGS_FROZEN=1 freezes them (default:
// fine-tuned). The results' context ("datasets" → rt-polarity) says which embeddings ran, what the
// reader saw (format, encoding, multi-token words, duplicates) and the texts' encoding.
//
// Model (sentiment_classifier.hpp): embedding → many-to-one LSTM (hidden 128, Keras gates,
// forget bias 1) → one logit, sigmoid binary cross-entropy, batch 128 (last partial batch kept),
// Adam lr 1e-4 (× ISOBENCH_LR_SCALE, ε = 1e-7 as Keras), float32. Input kernel and read-out
// Glorot-uniform, biases zero (forget gate 1).
//
// Recurrent kernel W (4H × H = 512 × 128): the initializer and penalty act on the WHOLE kernel,
// as the study's Keras code (Keras' recurrent_initializer and kernel_regularizer see the whole
// (H × 4H) kernel Wᵀ). Orthogonal init: W = g·Q, Q with orthonormal columns (WᵀW = g²I);
// so / so_gain_adjusted penalize ‖WᵀW/g² − I‖ (the H × H Gram), seed_notebook the code's
// λ·mean((WWᵀ/g² − 1)²) over the 4H × 4H Gram (penalty.hpp). kernel_sv_* are W's H singular
// values; ortho_err = ‖WᵀW/g² − I‖_F.
//
// Configurations (as SEED, family_seed.cpp, same names): NoOrthogonal (init:glorot_uniform,
// reg:none), orthogonal g = 1, and for g ∈ {1.025, 1.25}: no penalty, and for λ ∈ {0.5, 1} the
// plain and gain-adjusted penalty in three forms — reg:so / reg:so_gain_adjusted with norm:mean
// (λ·mean, the code's scaling) and norm:sum (λ' = λ/H, SEED's choice), reg:seed_notebook_plain /
// reg:seed_notebook (the code's formula at g = 1 / at g). A user's init from methods/ runs
// untreated, as in SEED.
//
// Probe (ISOBENCH_PROBE=1, benchmarks/common/probe.hpp): a run learns when the evaluation loss
// falls by 10 % of its initial value (of at most log 2, the loss of predicting the class
// frequencies: falling to it learns nothing) or the validation accuracy reaches chance
// (0.5) + 0.05 — within min(5 % of the budget, 60 s) a working configuration of this family
// does either; there is no plateau class (no initial plateau is part of what the family
// measures).
//
// Profiles:
//   paper  50 epochs, 5 seeds, the whole grid (28 configurations), all the data (n:10662) and
//          the faithful half (n:5330); 300-d learned embeddings (the study's vector size),
//          vocabulary of every training token. ≈ 280 runs of 50 epochs: many CPU-hours.
//   quick  (CI-sized: 14 runs, 36 s of CPU on one core in total, measured; the Jacobian
//          measurements add ≈ 0.4 s a run) all the data,
//          kQuickEpochs = 2 epochs on the first kQuickTrain = 2,048 snippets of the training part
//          (16 steps per epoch), kQuickDim = 32-d embeddings, vocabulary of the tokens seen at
//          least twice (9,026), 2 seeds, λ = 1, the key configurations (NoOrthogonal,
//          orthogonal g = 1, g = 1.25 without penalty, so, so_gain_adjusted, seed_notebook, all
//          norm:mean) at lr 1e-4 — which hardly moves in 32 steps (the study trained 50
//          epochs) — plus ONE configuration at lr kQuickFastLr = 1e-2 (orthogonal g = 1, no
//          penalty), named by its lr, trained on the whole training part (8,530) for
//          kQuickFastEpochs = 2 epochs, showing that the pipeline learns: its test_acc (≈ 0.74
//          here, chance 0.5) is the figure to read.
//
// Counters (docs/CONTRACT.md): steps_to_target (optimizer steps until the validation accuracy first
// reached target_val_acc: 0.7 paper, 0.6 quick), step_budget, converged, diverged, train_seconds,
// epoch_seconds (training only), final_loss / final_acc (the last epoch's running training loss
// and accuracy, as Keras reports them), best_val_acc, final_val_acc, test_acc, test_loss,
// kernel_sv_mean/std/min/max and ortho_err of the final recurrent kernel, target_val_acc, epochs,
// embedding_dim, vocab, train_snippets, and (penalized runs) penalty_grad_ratio =
// ‖λ∂P/∂W‖_F / ‖∂L_data/∂W‖_F on the first validation batch at the end, as SEED.
// The Jacobian through time of the whole state, J_50 = ∂(h_50, c_50)/∂(h_0, c_0) (256 × 256) over
// the padded length (lstm_isometry.hpp; the snippet as the model sees it, padding included), of
// the final weights on the first kJacFinalSequences = 2 validation snippets (means over them):
// jac_sv2_mean, jac_sv2_var (of the explicit product's s_i²), jac_log_sv2_mean = (1/256)
// log det(JᵀJ) (closed form, exact; absent when a factor is singular) and jac_log_sv2_dist =
// mean |log s_i²| (only when every s_i is resolved, s_min > 1e3·ε·s_max: in the quick runs never —
// the padding steps leave half the spectrum below 1e-24 of the largest).
// Trace per evaluation (step 0, then every epoch), as SEED's: loss, train_acc, val_acc, val_loss,
// train_data_loss, penalty, kernel_sv_mean/std/min/max, ortho_err and the list kernel_sv; and of
// the current weights: jac_sv2_mean and jac_log_sv2_mean of J_50 on the first validation snippet
// (the latter absent when −∞: at step 0 the state stays exactly 0 through the padding, where
// h and c move together and F_t has rank H), state_grad_norm = ‖∂L/∂(h_t, c_t)‖_F for
// t = 0..50 on the first kGradBatch = 32 validation snippets (the whole state's gradient, what
// J carries back), or jac_error when the measurement failed. After the last evaluation one line
// {"kind":"jacobian_final","steps":50,"sequences":2,"sv2":[[…256 values, descending]…],
// "log_sv2_mean":[…per sequence]} (or {"kind":"jacobian_final","error":…}).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "bench_common.hpp"
#include "bench_train.hpp"
#include "data_cache.hpp"
#include "isobench/data/text.hpp"
#include "isobench/nn/embedding.hpp"
#include "isobench/ortho/constraint_methods.hpp"
#include "isobench/ortho/init.hpp"
#include "isobench/ortho/penalty.hpp"
#include "isobench/ortho/penalty_methods.hpp"
#include "isobench/train/lstm_isometry.hpp"
#include "isobench/train/sentiment_classifier.hpp"
#include "isobench/train/trainer.hpp"
#include "seed_forms.hpp"

namespace isobench::bench {
namespace {

// The probe's criteria (see the header).
constexpr ProbeCriteria kProbe{/*loss_drop=*/0.10, /*chance=*/0.5, /*acc_margin=*/0.05,
                               /*plateau_grad=*/-1, /*chance_loss=*/0.6931471805599453};  // log 2

constexpr int kHidden = 128, kBatch = 128, kMaxLen = 50;
constexpr double kLr = 1e-4;
constexpr int kPaperEpochs = 50, kPaperSeeds = 5, kPaperDim = 300, kPaperMinCount = 1;
constexpr int kQuickEpochs = 2, kQuickSeeds = 2, kQuickDim = 32, kQuickMinCount = 2;
constexpr int kQuickTrain = 2048;
constexpr double kQuickFastLr = 1e-2;
constexpr int kQuickFastEpochs = 2;
constexpr double kPaperTarget = 0.7, kQuickTarget = 0.6;
constexpr int kAllSnippets = 10662, kHalfSnippets = 5330;

// The Jacobian through time of the LSTM's state (lstm_isometry.hpp) over the padded length:
// jac_sv2_mean of the first kJacSequences validation snippets at every evaluation, the full
// spectra of the first kJacFinalSequences at the end; ‖∂L/∂(h_t, c_t)‖ on the first kGradBatch.
constexpr int kJacSequences = 1, kJacFinalSequences = 2, kGradBatch = 32;

constexpr const char *kTask = "sentiment", *kDataset = "rt-polarity";
constexpr const char* kOptimizer = "adam";  // the workload's update (AdamUpdate)

struct SentData {
  TextSplit split;
  std::unique_ptr<WordVectors> vectors;  // pretrained, when ISOBENCH_EMBEDDINGS is set
  int dim = 0;                           // embedding dimension used
  bool frozen = false;
};

std::string env(const char* v) {
  const char* s = std::getenv(v);
  return s ? std::string(s) : std::string();
}

// Set by the quick registrar: what the results context should add about training subsets.
std::string& subset_note() {
  static std::string note;
  return note;
}

// One data set per (faithful, dim, min_count), shared by every run of the process; `train` is
// its training part, or the first max_train snippets of it when 0 < max_train < its size.
struct SentView {
  const SentData* data;
  const TextSet* train;
};
SentView sent_data(bool faithful, int max_train, int dim, int min_count) {
  const SentData& d = cached<SentData>(std::make_tuple(faithful, dim, min_count), [&] {
    SentData e;
    PolarityOptions opt;
    opt.faithful = faithful;
    opt.max_len = kMaxLen;
    opt.min_count = min_count;
    const PolarityFiles files = locate_polarity();
    e.split = load_polarity(files, opt);
    e.dim = dim;
    std::string emb = "learned " + std::to_string(dim) + "-d embeddings (uniform ±0.05 init)";
    const std::string path = env("ISOBENCH_EMBEDDINGS");
    if (!path.empty()) {
      e.vectors = std::make_unique<WordVectors>(load_word_vectors(path, &e.split.vocab));
      e.dim = e.vectors->dim;
      e.frozen = env("ISOBENCH_EMBEDDINGS_FROZEN") == "1";
      emb = "pretrained " + std::to_string(e.dim) + "-d embeddings from " + path + " (" +
            std::to_string(e.vectors->words.size()) + " of " +
            std::to_string(e.split.vocab.size() - 2) + " vocabulary words found; " +
            e.vectors->summary() + "; " +
            (e.frozen ? "frozen, the words not found keep their random vectors"
                      : "fine-tuned, the words not found learned from random vectors") +
            ")";
    }
    std::vector<DataFile> read = {{"positive", files.pos, e.split.lines_per_file},
                                  {"negative", files.neg, e.split.lines_per_file}};
    // The vectors decide the numbers too: their file's digest tells two runs' vectors apart.
    if (e.vectors) read.push_back({"embeddings", path, e.vectors->lines_read});
    note_dataset(kDataset, e.split.description + "; " + emb + subset_note(), read);
    return e;
  });
  if (max_train <= 0 || max_train >= d.split.train.n) return {&d, &d.split.train};
  const TextSet& head = cached<TextSet>(std::make_tuple(faithful, dim, min_count, max_train), [&] {
    TextSet h = d.split.train;
    h.n = max_train;
    h.ids.resize(static_cast<std::size_t>(max_train) * static_cast<std::size_t>(kMaxLen));
    h.y.resize(static_cast<std::size_t>(max_train));
    h.lengths.resize(static_cast<std::size_t>(max_train));
    return h;
  });
  return {&d, &head};
}

// The split's identity for the batch-order stream (RunStreams, core/streams.hpp): what decides
// the training snippets and their ids (the split seed is load_polarity's default, 0).
std::string split_identity(const SentView& v, bool faithful, int min_count) {
  return "rt-polarity/faithful:" + std::to_string(faithful ? 1 : 0) +
         "/min_count:" + std::to_string(min_count) + "/max_len:" + std::to_string(kMaxLen) +
         "/train:" + std::to_string(v.train->n);
}

struct Config {
  InitSpec recurrent{OrthogonalInit::name};  // the recurrent kernel's init (σ_w² 1, gain g)
  int hidden = kHidden, batch = kBatch;
  PenaltySpec penalty;        // on the recurrent kernel
  ConstraintSpec constraint;  // on the recurrent kernel (the user's constraints; none otherwise)
  double lr = kLr;
  bool faithful = false;
  int seed = 1, epochs = kPaperEpochs, max_train = 0, dim = kPaperDim, min_count = kPaperMinCount;
  double target = kPaperTarget;
};

void run_sent(benchmark::State& state, const std::string& name, const Config& c) {
  for (auto _ : state) {
    SentView view{};
    double lr = c.lr;
    try {
      view = sent_data(c.faithful, c.max_train, c.dim, c.min_count);
      lr *= lr_scale();
    } catch (const std::exception& e) {
      state.SkipWithError(("SENT (rt-polarity): " + std::string(e.what())).c_str());
      return;
    }
    const SentData* data = view.data;
    SentimentSpec spec;
    spec.embed_dim = data->dim;
    spec.hidden = c.hidden;
    spec.recurrent = c.recurrent;
    spec.batch = c.batch;
    spec.lr = lr;
    spec.penalty = c.penalty;
    spec.constraint = c.constraint;
    if (c.constraint.active()) spec.constraint.rate = constraint_rate(c.constraint) * lr_scale();
    spec.target_val_acc = c.target;
    using Workload = SentimentWorkload<float, AdamUpdate>;
    std::unique_ptr<Workload> workload;
    try {
      workload = std::make_unique<Workload>(
          spec, data->split.vocab.size(), *view.train, data->split.val, AdamUpdate{},
          RunStreams(split_identity(view, c.faithful, c.min_count),
                     static_cast<std::uint64_t>(c.seed)));
      if (data->vectors) {
        assign_pretrained(workload->embedding(), *data->vectors, data->split.vocab);
        workload->set_embedding_trainable(!data->frozen);
      }
    } catch (const std::exception& e) {
      state.SkipWithError(("SENT: " + name + ": " + e.what()).c_str());
      return;
    }
    TrainConfig tc;
    tc.epoch_budget = c.epochs;
    tc.step_budget = static_cast<long>(c.epochs) * workload->steps_per_epoch();
    tc.eval_at_start = true;
    std::unique_ptr<LstmIsometryProbe<float>> isometry;
    try {
      isometry = std::make_unique<LstmIsometryProbe<float>>(
          workload->model(), workload->embedding(), data->split.val, kJacSequences,
          kJacFinalSequences, kGradBatch);
    } catch (const std::exception& e) {
      state.SkipWithError(("SENT: " + name + ": " + e.what()).c_str());
      return;
    }
    TraceWriter trace(name);
    TraceCallback<TraceWriter> trace_cb{trace};
    const long full_steps = apply_probe(tc);  // ISOBENCH_PROBE=1: a slice of the budget (probe.hpp)
    ProgressCallback progress{name, tc.step_budget, 60.0};
    const TrainResult res = train(*workload, tc, *isometry, trace_cb, progress);

    report_training(state, res, /*epochs=*/true);
    report_probe(state, res, kProbe, {full_steps});
    set_counter(state, "epochs", res.epochs);
    set_counter(state, "target_val_acc", c.target);
    set_counter(state, "embedding_dim", data->dim);
    set_counter(state, "vocab", data->split.vocab.size());
    set_counter(state, "train_snippets", view.train->n);
    if (res.last.val_acc >= 0) set_counter(state, "final_val_acc", res.last.val_acc);
    const auto ks = workload->kernel_spectrum();
    report_kernel_spectrum(state, ks);
    if (ks.finite) {  // the final Jacobian through time: counters and the full spectra
      try {
        const RecurrentIsometry iso = isometry->final_measure();
        set_counter(state, "jac_sv2_mean", iso.sv2_mean);
        set_counter(state, "jac_sv2_var", iso.sv2_var);
        if (std::isfinite(iso.log_sv2_mean))  // −∞: a singular factor
          set_counter(state, "jac_log_sv2_mean", iso.log_sv2_mean);
        if (iso.resolved) set_counter(state, "jac_log_sv2_dist", iso.log_sv2_dist);
        trace.write(LstmIsometryProbe<float>::trace_line(iso, isometry->steps()));
      } catch (const std::exception& e) {
        trace.write({{"kind", "jacobian_final"}, {"error", e.what()}});
      }
      report_penalty_measure(state, c.penalty, {&workload->model().recurrent_kernel()});
    }
    if (!res.diverged) {
      const auto test = workload->measure(data->split.test);
      set_counter(state, "test_acc", test.acc);
      set_counter(state, "test_loss", test.loss);
      // As SEED: how hard the penalty pulls at the end, ‖λ∂P/∂W‖_F / ‖∂L_data/∂W‖_F on the first
      // validation batch.
      const TextSet& val = data->split.val;
      if (c.penalty.active() && ks.finite && val.n > 0) {
        const int B = std::min(c.batch, val.n);
        const std::vector<float> y(val.y.begin(), val.y.begin() + B);
        workload->loss_and_grad(val.ids.data(), y.data(), B);
        const double ratio = penalty_grad_ratio(c.penalty, workload->model().recurrent_kernel(),
                                                workload->model().recurrent_kernel_grad());
        if (ratio >= 0) set_counter(state, "penalty_grad_ratio", ratio);
      }
    }
  }
}

// The run's name, from the fields of its configuration that the run uses (docs/CONTRACT.md key
// order); `n` is the snippets in the pool (all, or the faithful half).
Name name_of(const Config& c) {
  Name n("SENT", "lstm");
  n.kv("task", kTask).kv("dataset", kDataset).kv("init", c.recurrent.method);
  if (init_method(c.recurrent.method).sets_gain) n.kv("gain", c.recurrent.gain);
  n.kv("hidden", c.hidden).kv("batch", c.batch).kv("reg", seed_reg_name(c.penalty));
  if (c.penalty.active())
    n.kv("norm", penalty_norm_name(c.penalty.norm)).kv("lambda", c.penalty.lambda);
  if (c.constraint.active()) add_constraint_keys(n, c.constraint);
  n.kv("opt", kOptimizer).kv("lr", c.lr).kv("n", c.faithful ? kHalfSnippets : kAllSnippets);
  n.kv("seed", c.seed);
  return n;
}

void add_config(Config c, int seeds) {
  for (int seed = 1; seed <= seeds; ++seed) {
    c.seed = seed;
    const std::string name = name_of(c);
    add_run(name, [name, c](benchmark::State& st) { run_sent(st, name, c); });
  }
}

// The quick profile's forms (seed_forms.hpp): so, so_gain_adjusted and seed_notebook, norm:mean.
constexpr PenaltyForm kQuickForms[] = {
    {SoPenalty::name, PenaltyNorm::Mean, false},
    {SoGainAdjustedPenalty::name, PenaltyNorm::Mean, true},
    {SeedNotebookPenalty::name, PenaltyNorm::Mean, true},
};

template <std::size_t N>
void add_penalties(const Config& base, int seeds, double lambda, const PenaltyForm (&forms)[N]) {
  for (const PenaltyForm& f : forms) {
    Config c = base;
    c.penalty.method = f.method;
    c.penalty.norm = f.norm;
    c.penalty.lambda = f.norm == PenaltyNorm::Sum ? lambda / base.hidden : lambda;  // SEED's λ/N
    c.penalty.gain = f.adjusted ? base.recurrent.gain : 1.0;
    add_config(c, seeds);
  }
}

template <std::size_t N>
void register_grid(const Config& base, int seeds, const std::vector<double>& gains,
                   const std::vector<double>& lambdas, const PenaltyForm (&forms)[N]) {
  Config glorot = base;
  glorot.recurrent = InitSpec{GlorotUniformInit::name};
  add_config(glorot, seeds);
  Config ortho = base;
  ortho.recurrent.gain = 1.0;
  add_config(ortho, seeds);
  for (double g : gains) {
    Config c = base;
    c.recurrent.gain = g;
    add_config(c, seeds);
    for (double lambda : lambdas) add_penalties(c, seeds, lambda, forms);
    add_user_treatments(c, g, [&](const Config& u) { add_config(u, seeds); });
  }
  add_user_inits(base, gains, [&](const Config& u) { add_config(u, seeds); });
}

const bool registered = [] {
  if (paper_profile()) {
    for (bool faithful : {false, true}) {
      Config base;
      base.faithful = faithful;
      register_grid(base, kPaperSeeds, {1.025, 1.25}, {0.5, 1.0}, kSeedForms);
    }
  } else {
    Config base;
    base.epochs = kQuickEpochs;
    base.max_train = kQuickTrain;
    base.dim = kQuickDim;
    base.min_count = kQuickMinCount;
    base.target = kQuickTarget;
    subset_note() = "; SENT quick profile: the lr-1e-4 runs train on the first " +
                    std::to_string(kQuickTrain) + " snippets of the training part for " +
                    std::to_string(kQuickEpochs) + " epochs, the lr-0.01 run on all of it";
    register_grid(base, kQuickSeeds, {1.25}, {1.0}, kQuickForms);
    Config fast = base;
    fast.lr = kQuickFastLr;
    fast.max_train = 0;  // the whole training part
    fast.epochs = kQuickFastEpochs;
    add_config(fast, kQuickSeeds);
  }
  return true;
}();

}  // namespace
}  // namespace isobench::bench
