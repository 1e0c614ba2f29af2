//go:build !race

package train

// raceDetector tells whether the test binary was built with -race (see
// race_on_test.go).
const raceDetector = false
