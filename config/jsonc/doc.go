// Package jsonc reads the JSON dialect Kea accepts for its configuration
// files and keeps the position of every value.
//
// The dialect is JSON plus three kinds of comment (# and // to the end of the
// line, /* ... */ blocks), include directives of the form
//
//	<?include "path"?>
//
// which splice another file's text in place of the directive, a trailing
// comma before ] or } (accepted with a warning), and numbers written with a
// leading dot such as .5. A relative include path is taken relative to the
// directory of the file that holds the directive.
//
// [Parse] and [ParseFile] return a tree of [Value]s. Each value and each
// object key knows the file, line and column where it was written; for text
// that came from an included file that is the included file's own position.
// Problems are reported as [Diagnostic]s carrying the same positions.
//
// Keys whose name ends in "password" or "secret" are secrets: the String and
// MarshalJSON methods of a Value print their values as "*****" at any depth.
package jsonc
