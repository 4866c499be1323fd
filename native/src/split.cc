// The helper thread behind split::Two (split.h). After a call it watches for the next one for a
// moment (SpinMicros), then sleeps on a condition variable (it does not spin longer: a spinning
// helper steals the core another process, or the caller's next kernel, needs), and parts are claimed
// under a mutex tagged with the call's generation, so a helper that wakes late finds nothing left to
// claim instead of running a finished call's part.
//
// No signal is handled inside a part: the helper blocks every signal, and the caller blocks them for
// the call. oneDNN 2.6's gemm:jit kernels (the strided halves of a split matmul run on them) keep data
// below the stack pointer past the red zone, and a signal handled on that stack overwrote it: under
// node --cpu-prof (SIGPROF every millisecond) a split run aborted with a corrupted heap; a C++ loop of
// those kernels alone did too, and ran clean with the handler on an alternate stack. Signals that
// arrive meanwhile are handled when the call returns.

#include "split.h"

#include <omp.h>

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <csignal>
#include <exception>
#include <mutex>
#include <thread>

namespace split {
namespace {

constexpr int kParts = 2;

// How long the helper watches for the next call before it sleeps: LOSS_ALGEBRA_NATIVE_SPIN_US, default
// 200. Woken from sleep, the helper often started after the caller had done both halves (an idle
// vCPU here is halted, and waking it costs about a product); watching, it takes the next call's half
// at once: split mlp steps 0.83-0.86x of unsplit where sleeping gave 0.77-1.10x from one hour to the
// next. It costs CPU time while it watches, so runs that share the cores set it to 0 (compare's jobs).
int SpinMicros() {
  static const int us = [] {
    const char* v = std::getenv("LOSS_ALGEBRA_NATIVE_SPIN_US");
    return v == nullptr || *v == '\0' ? 200 : std::atoi(v);
  }();
  return us;
}

// Blocks every signal on this thread while it lives (restoring the mask it found).
class SignalsBlocked {
 public:
  SignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old_);
  }
  ~SignalsBlocked() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  SignalsBlocked(const SignalsBlocked&) = delete;
  SignalsBlocked& operator=(const SignalsBlocked&) = delete;

 private:
  sigset_t old_;
};

class Helper {
 public:
  Helper() {
    // Never joined: the process may exit while it sleeps. It handles no signal, ever.
    std::thread([this] {
      SignalsBlocked blocked;
      Loop();
    }).detach();
  }

  void Two(const std::function<void(int)>& part) {
    SignalsBlocked blocked;
    uint64_t g;
    {
      std::lock_guard<std::mutex> l(m_);
      g = ++gen_;
      published_.store(g, std::memory_order_relaxed);
      job_ = &part;
      next_ = 0;
      finished_ = 0;
      error_ = nullptr;
    }
    wake_.notify_one();
    Work(g, part);
    std::unique_lock<std::mutex> l(m_);
    done_.wait(l, [&] { return finished_ == kParts; });
    job_ = nullptr;
    if (error_ != nullptr) std::rethrow_exception(error_);
  }

 private:
  void Loop() {
    // oneDNN inside a part runs on one thread, as on the caller (OpenMP's setting is per thread).
    omp_set_num_threads(1);
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int)>* job;
      uint64_t g;
      // a step's products come back to back: watch for the next call a moment before sleeping
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(SpinMicros());
      while (published_.load(std::memory_order_relaxed) == seen && std::chrono::steady_clock::now() < until) {
        __builtin_ia32_pause();
      }
      {
        std::unique_lock<std::mutex> l(m_);
        wake_.wait(l, [&] { return gen_ != seen && job_ != nullptr; });
        seen = g = gen_;
        job = job_;
      }
      Work(g, *job);
    }
  }

  // Claims and runs parts of call `g` until none is left.
  void Work(uint64_t g, const std::function<void(int)>& part) {
    for (;;) {
      int i;
      {
        std::lock_guard<std::mutex> l(m_);
        if (g != gen_ || next_ >= kParts) return;
        i = next_++;
      }
      std::exception_ptr err = nullptr;
      try {
        part(i);
      } catch (...) {
        err = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> l(m_);
        if (err != nullptr && error_ == nullptr) error_ = err;
        ++finished_;
      }
      done_.notify_all();
    }
  }

  std::mutex m_;
  std::condition_variable wake_, done_;
  uint64_t gen_ = 0;
  std::atomic<uint64_t> published_{0};  // gen_, readable without the mutex (the spin)
  const std::function<void(int)>* job_ = nullptr;
  int next_ = 0;
  int finished_ = 0;
  std::exception_ptr error_ = nullptr;
};

bool gEnabled = true;
double gMinMacs = 4e6;
double gCalls = 0;

}  // namespace

void Two(const std::function<void(int)>& part) {
  static Helper* helper = new Helper();  // never destroyed: its thread outlives static destructors
  ++gCalls;
  helper->Two(part);
}

bool Worth(double macs) { return gEnabled && macs >= gMinMacs; }
void Configure(bool on, double minMacs) {
  gEnabled = on;
  gMinMacs = minMacs;
}
bool Enabled() { return gEnabled; }
double MinMacs() { return gMinMacs; }
double Calls() { return gCalls; }

}  // namespace split
