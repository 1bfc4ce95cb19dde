// Which instruction sets this CPU runs, and the step for each.
#pragma once

#include "step.h"

namespace kmeanslab {

// The highest level this build and this CPU support (no environment read:
// the Python layer applies KMEANSLAB_ISA, see kmeanslab/_native/__init__.py).
Isa best_isa();

// Runs one step on isa, which must be at most best_isa().
template <class T>
void lloyd_step(const StepArgs<T>& a, Isa isa, int n_threads);

}  // namespace kmeanslab
