// Checkpoints (core/state_archive.hpp, trainer.hpp's CheckpointConfig): the archive's round trip
// and its refusals, and the heart of the feature — a run interrupted at a checkpoint and resumed
// from it in a new workload is bit-identical to the run that was not interrupted (weights,
// optimizer state, batch order, evaluations, trace lines, counters), mid-epoch and at an epoch
// boundary, under Adam with a decaying penalty and under SGD with momentum.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "blobs.hpp"
#include "isobench/core/state_archive.hpp"
#include "isobench/data/datasets.hpp"
#include "isobench/train/mlp_classifier.hpp"
#include "isobench/train/sequence_workload.hpp"
#include "isobench/train/trainer.hpp"

using namespace isobench;

namespace {

TEST(StateArchive, RoundTrip) {
  Engine e = make_engine("test_checkpoint", 3);
  e.discard(17);
  int i = -4;
  double d = 0.1;
  std::vector<float> v = {1.5f, -2.25f};
  std::string s = "run/name";
  nlohmann::json j = {{"x", 0.1 + 0.2}, {"k", "v"}};
  double buf[3] = {1, 2, 3};
  StateArchive out = StateArchive::saver();
  out.io("e", e);
  out.io("i", i);
  out.io("d", d);
  out.io("v", v);
  out.io("s", s);
  out.io("j", j);
  out.io_buffer("buf", buf, 3);

  Engine e2 = make_engine("other", 1);
  int i2 = 0;
  double d2 = 0;
  std::vector<float> v2;
  std::string s2;
  nlohmann::json j2;
  double buf2[3] = {};
  StateArchive in = StateArchive::loader(out.bytes(), "mem");
  in.io("e", e2);
  in.io("i", i2);
  in.io("d", d2);
  in.io("v", v2);
  in.io("s", s2);
  in.io("j", j2);
  in.io_buffer("buf", buf2, 3);
  in.finish();
  EXPECT_EQ(e(), e2());
  EXPECT_EQ(i2, -4);
  EXPECT_EQ(d2, 0.1);
  EXPECT_EQ(v2, v);
  EXPECT_EQ(s2, s);
  EXPECT_EQ(j2["x"].get<double>(), 0.1 + 0.2);  // doubles round-trip exactly
  EXPECT_EQ(std::memcmp(buf, buf2, sizeof buf), 0);
}

TEST(StateArchive, RefusesWhatItDidNotWrite) {
  StateArchive out = StateArchive::saver();
  double x = 1;
  long n = 2;
  out.io("x", x);
  out.io("n", n);
  auto expect_error = [](auto&& f, const std::string& words) {
    try {
      f();
      ADD_FAILURE() << "no StateError, expected one saying " << words;
    } catch (const StateError& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("ckpt-file"), std::string::npos) << e.what();
    }
  };
  expect_error([] { StateArchive::loader("garbage", "ckpt-file"); }, "not an isobench checkpoint");
  expect_error(
      [&] {
        StateArchive in = StateArchive::loader(out.bytes(), "ckpt-file");
        double y;
        in.io("y", y);
      },
      "the file has 'x' here");
  expect_error(
      [&] {
        StateArchive in = StateArchive::loader(out.bytes(), "ckpt-file");
        float y;
        in.io("x", y);
      },
      "another value type");
  expect_error(
      [&] {
        StateArchive in =
            StateArchive::loader(out.bytes().substr(0, out.bytes().size() - 3), "ckpt-file");
        double y;
        long m;
        in.io("x", y);
        in.io("n", m);
      },
      "ends early");
  expect_error(
      [&] {
        StateArchive in = StateArchive::loader(out.bytes(), "ckpt-file");
        double y;
        in.io("x", y);
        in.finish();
      },
      "bytes left");
  expect_error(
      [&] {
        std::vector<double> big(5);
        StateArchive o = StateArchive::saver();
        o.io_buffer("w", big.data(), 5);
        StateArchive in = StateArchive::loader(o.bytes(), "ckpt-file");
        in.io_buffer("w", big.data(), 4);
      },
      "40 bytes in the file, 32 expected");
}

Dataset blobs(int n, int dim, int classes, std::uint64_t seed) {
  return testutil::gaussian_blobs(n, dim, classes, 1.5, "test_checkpoint/blobs", seed);
}

// A trace kept in memory; its checkpoint state is how many lines it holds (a file's offset).
struct Lines {
  std::vector<nlohmann::json> lines;
  void on_evaluation(const EvalRecord& r) {
    nlohmann::json j = r.to_json();
    j.erase("seconds");  // training time: the only figure a resume may change
    lines.push_back(j);
  }
  void state(StateArchive& ar) {
    std::uint64_t n = lines.size();
    ar.io("lines.count", n);
    if (ar.loading()) {
      ASSERT_LE(n, lines.size());
      lines.resize(n);
    }
  }
};

std::vector<float> weights(const std::vector<ParamRef<float>>& params) {
  std::vector<float> v;
  for (const auto& p : params) v.insert(v.end(), p.value, p.value + p.size);
  return v;
}
std::vector<float> weights(MlpClassifierWorkload<float, AdamUpdate>& w) {
  return weights(w.net().params());
}
std::vector<float> weights(MlpClassifierWorkload<float, SgdUpdate>& w) {
  return weights(w.net().params());
}
std::vector<float> weights(SequenceWorkload<float>& w) {
  return weights(w.params());
}

// Trains make()'s workload under cfg three ways — whole; interrupted at the halt_after-th
// checkpoint, every_steps apart; resumed from that checkpoint in a new workload — and requires
// the resumed run to equal the whole one bit for bit.
template <class Make>
void check_resume(Make make, TrainConfig cfg, long every_steps, int halt_after) {
  auto whole = make();
  Lines whole_trace;
  const TrainResult whole_res = train(*whole, cfg, whole_trace);

  std::string saved;
  auto first = make();
  Lines first_trace;
  TrainConfig c1 = cfg;
  c1.checkpoint.save = [&](const std::string& bytes) { saved = bytes; };
  c1.checkpoint.every_steps = every_steps;
  c1.checkpoint.halt_after = halt_after;
  const TrainResult first_res = train(*first, c1, first_trace);
  ASSERT_EQ(first_res.stop_reason, "halted");
  ASSERT_EQ(first_res.steps, every_steps * halt_after);
  ASSERT_LT(first_res.steps, whole_res.steps);

  // Resumed in a new workload (fresh weights: the checkpoint must restore everything); its trace
  // holds what the interrupted run wrote, and one line more written after the checkpoint.
  auto second = make();
  Lines second_trace = first_trace;
  second_trace.lines.push_back({{"written", "after the checkpoint"}});
  TrainConfig c2 = cfg;
  c2.checkpoint.resume = saved;
  c2.checkpoint.resume_source = "memory";
  const TrainResult res = train(*second, c2, second_trace);

  EXPECT_EQ(res.resumed_at, every_steps * halt_after);
  EXPECT_EQ(weights(*second), weights(*whole));
  EXPECT_EQ(second_trace.lines, whole_trace.lines);
  EXPECT_EQ(res.steps, whole_res.steps);
  EXPECT_EQ(res.epochs, whole_res.epochs);
  EXPECT_EQ(res.converged, whole_res.converged);
  EXPECT_EQ(res.steps_to_target, whole_res.steps_to_target);
  EXPECT_EQ(res.best_val_acc, whole_res.best_val_acc);
  EXPECT_EQ(res.first.loss, whole_res.first.loss);
  EXPECT_EQ(res.last.loss, whole_res.last.loss);
  EXPECT_EQ(res.stop_reason, whole_res.stop_reason);
  EXPECT_EQ(second->steps_taken(), whole->steps_taken());
  // And it goes on the same: a few more steps of both give the same weights.
  TrainConfig more = cfg;
  more.step_budget = 7;
  more.eval_at_start = false;
  train(*second, more);
  train(*whole, more);
  EXPECT_EQ(weights(*second), weights(*whole));
}

ClassifierSpec spec() {
  ClassifierSpec s;
  s.depth = 3;
  s.width = 8;
  s.act = Activation::Tanh;
  s.init = InitSpec::orthogonal(1.0);
  s.batch = 32;  // 150 samples: 5 batches an epoch, the last partial (22)
  s.lr = 3e-3;
  s.eval_train = 50;
  s.eval_val = 0;
  s.target_val_acc = 0.7;
  return s;
}

const Dataset& train_set() {
  static const Dataset d = blobs(150, 6, 3, 1);
  return d;
}
const Dataset& val_set() {
  static const Dataset d = blobs(60, 6, 3, 2);
  return d;
}
template <class Update>
auto mlp(const ClassifierSpec& s, Update u) {
  return [s, u] {
    return std::make_unique<MlpClassifierWorkload<float, Update>>(s, train_set(), val_set(), u,
                                                                  RunStreams("ckpt", 7));
  };
}

TEST(Checkpoint, AdamWithADecayingPenaltyResumesMidEpochBitIdentical) {
  ClassifierSpec s = spec();
  s.penalty.method = "so";
  s.penalty.lambda = 0.01;
  s.lambda_schedule = StepDecayLambda({10, 25}, {0.1, 0.01});  // changes before and after step 14
  TrainConfig cfg;
  cfg.step_budget = 40;
  cfg.eval_every = 3;
  check_resume(mlp(s, AdamUpdate{}), cfg, /*every_steps=*/7, /*halt_after=*/2);  // mid-epoch
}

// srip keeps its power-iteration vector across steps: the checkpoint must carry it.
TEST(Checkpoint, SripPenaltyResumesBitIdentical) {
  ClassifierSpec s = spec();
  s.depth = 4;  // two square hidden weights, each with its own vector
  s.penalty.method = "srip";
  s.penalty.lambda = 0.05;
  TrainConfig cfg;
  cfg.step_budget = 24;
  cfg.eval_every = 4;
  check_resume(mlp(s, AdamUpdate{}), cfg, /*every_steps=*/5, /*halt_after=*/2);
}

TEST(Checkpoint, SgdMomentumResumesAtAnEpochBoundaryBitIdentical) {
  TrainConfig cfg;
  cfg.step_budget = 35;
  cfg.eval_every = 0;  // an evaluation at every epoch end
  check_resume(mlp(spec(), SgdUpdate{0.9}), cfg, /*every_steps=*/10, /*halt_after=*/2);
}

// The copy task: fresh batches drawn from the workload's engine every step, the Cayley step on W
// and Adam on the rest, clipping; evaluations every 5 steps carry the running figures.
TEST(Checkpoint, CopyTaskRnnWithCayleyResumesBitIdentical) {
  SequenceWorkloadSpec s;
  s.model = RecurrentModel::Rnn;
  s.problem = SequenceProblem::Copy;
  s.length = 5;
  s.hidden = 12;
  s.batch = 8;
  s.act = Activation::Tanh;
  s.recurrent_init = InitSpec::orthogonal(1.0);
  s.lr = 3e-3;
  s.clip_norm = 1.0;
  s.constraint.method = "cayley";
  s.synthetic_steps_per_epoch = 5;
  s.eval_samples = 16;
  auto make = [s] {
    return std::make_unique<SequenceWorkload<float>>(s, nullptr, nullptr, RunStreams("", 3));
  };
  TrainConfig cfg;
  cfg.step_budget = 30;
  cfg.eval_every = 0;
  check_resume(make, cfg, /*every_steps=*/4, /*halt_after=*/3);  // step 12: mid-"epoch"
}

// Row MNIST's protocols on 28 × 28 images (synthetic: the checkpoint, not the data, is tested):
// SEED's Keras protocol reports the running figures of the batches since the last evaluation,
// so a checkpoint between evaluations must carry them; RQD's measures them.
void check_row_images(SequenceProtocol protocol) {
  static const Dataset images = [] {
    Dataset d = blobs(96, 28 * 28, 10, 5);
    d.rows = d.cols = 28;
    return d;
  }();
  static const Dataset held_out = [] {
    Dataset d = blobs(40, 28 * 28, 10, 6);
    d.rows = d.cols = 28;
    return d;
  }();
  SequenceWorkloadSpec s;
  s.problem = SequenceProblem::RowMnist;
  s.hidden = 10;
  s.batch = 16;
  s.recurrent_init = InitSpec::orthogonal(1.1);
  s.lr = 1e-3;
  s.eval_train = 32;
  s.eval_val = 0;
  s.protocol = protocol;
  auto make = [s] {
    return std::make_unique<SequenceWorkload<float>>(s, &images, &held_out, RunStreams("img", 2));
  };
  TrainConfig cfg;
  cfg.step_budget = 20;  // 6 batches an epoch
  cfg.eval_every = 0;
  check_resume(make, cfg, /*every_steps=*/4, /*halt_after=*/2);  // step 8: mid-epoch
}
TEST(Checkpoint, RowImagesRunningFiguresResumeBitIdentical) {
  check_row_images(SequenceProtocol::keras());
}
TEST(Checkpoint, RowImagesMeasuredFiguresResumeBitIdentical) {
  check_row_images({});
}

TEST(Checkpoint, AnotherRunsCheckpointIsRefused) {
  ClassifierSpec s = spec();
  auto make = mlp(s, AdamUpdate{});
  std::string saved;
  auto w = make();
  TrainConfig c1;
  c1.step_budget = 10;
  c1.checkpoint.identity = "RQE/run/a";
  c1.checkpoint.save = [&](const std::string& bytes) { saved = bytes; };
  c1.checkpoint.every_steps = 3;
  c1.checkpoint.halt_after = 1;
  train(*w, c1);
  auto other = make();
  TrainConfig c2;
  c2.step_budget = 10;
  c2.checkpoint.identity = "RQE/run/b";
  c2.checkpoint.resume = saved;
  c2.checkpoint.resume_source = "ckpt-file";
  try {
    train(*other, c2);
    ADD_FAILURE() << "resumed from another run's checkpoint";
  } catch (const StateError& e) {
    EXPECT_NE(std::string(e.what()).find("a checkpoint of the run 'RQE/run/a'"), std::string::npos)
        << e.what();
  }
}

TEST(Checkpoint, StateThatCannotBeWrittenFailsBeforeTheFirstStep) {
  // As a user's stateful penalty without state(StateArchive&) does (method_registry.hpp).
  struct Unwritable {
    int steps = 0;
    int steps_per_epoch() const { return 1; }
    void begin_epoch(int) {}
    double step() {
      ++steps;
      return 1.0;
    }
    void evaluate(EvalRecord& r) { r.loss = 1.0; }
    bool reached_target(const EvalRecord&) const { return false; }
    bool diverged(const EvalRecord&) const { return false; }
    void state(StateArchive&) { throw StateError("penalty p keeps state but cannot checkpoint"); }
  } w;
  TrainConfig cfg;
  cfg.step_budget = 50;
  cfg.checkpoint.save = [](const std::string&) {};
  cfg.checkpoint.every_steps = 40;  // the first checkpoint would be due at step 40
  EXPECT_THROW(train(w, cfg), StateError);
  EXPECT_EQ(w.steps, 0);
}

TEST(Checkpoint, AWorkloadWithoutStateIsRefused) {
  struct NoState {
    int steps_per_epoch() const { return 1; }
    void begin_epoch(int) {}
    double step() { return 1.0; }
    void evaluate(EvalRecord& r) { r.loss = 1.0; }
    bool reached_target(const EvalRecord&) const { return false; }
    bool diverged(const EvalRecord&) const { return false; }
  } w;
  TrainConfig cfg;
  cfg.step_budget = 5;
  cfg.checkpoint.save = [](const std::string&) {};
  cfg.checkpoint.every_steps = 2;
  EXPECT_THROW(train(w, cfg), std::invalid_argument);
}

}  // namespace
