// `lockwatch demo`: runs three bundled samples under the preload (a lock-order inversion, a
// misuse, a clean program), shows lockwatch's report of each, and explains in a few sentences
// what each finding means and how to fix it. Needs the samples of a build tree next to the CLI
// (build/samples); without them, one line saying how to build them, exit 2.
#pragma once

namespace lockwatch::cli {

// 0 when every sample gave the findings it is known for, 1 when one did not, 2 when the demo
// cannot run (samples or library missing).
int run_demo();

}  // namespace lockwatch::cli
