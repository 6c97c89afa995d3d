//go:build linux && race

package e2e

// raceEnabled: the tests run with the race detector, so the leased binary
// under test is built with it too.
const raceEnabled = true
