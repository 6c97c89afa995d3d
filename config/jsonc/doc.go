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
// [ParseFile] reads only regular files: a FIFO, a device or a directory,
// named or included, is refused at once, so that a mistaken
// <?include "/dev/zero"?> cannot exhaust memory and a FIFO cannot block
// the reader. The named file and everything it includes may hold
// [MaxTotalSize] bytes together (64 MiB), and reading one file is given
// up after [ReadTimeout]. A file that cannot be read is reported at the
// include that names it; what the operating system said is kept in the
// diagnostic's Detail, apart from its Msg, because it tells whether a
// path exists.
//
// Messages quote at most [MaxQuoted] bytes of a key or value, with its
// length (see [Quote]).
//
// Keys whose name ends in "password" or "secret" are secrets: the String and
// MarshalJSON methods of a Value print their values as "*****" at any depth.
package jsonc
