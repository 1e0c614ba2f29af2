//go:build race

package train

// raceDetector tells whether the test binary was built with -race: the
// concurrency tests then skip the Go backend, whose pure-Go kernels run
// ~30x slower under the detector and trip its checkptr check (unsafe
// pointer arithmetic in GoMLX's matmul packing), and train on XLA CPU.
const raceDetector = true
