//go:build !race

package housekeeping_test

// raceDetector says the tests run with -race.
const raceDetector = false
