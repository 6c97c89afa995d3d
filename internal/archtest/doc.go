// Package archtest holds tests of the module's structure rather than of
// its behaviour: that each package imports only packages of its own layer
// or of the layers below it, as ARCHITECTURE.md draws them. It has no
// code of its own.
package archtest
