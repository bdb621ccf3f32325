// Package arch holds no code: its test keeps the direction of imports between the module's
// packages as docs and STYLE.md state it.
package arch
