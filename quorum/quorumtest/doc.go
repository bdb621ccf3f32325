// Package quorumtest provides in-process Redis clusters and fault-injecting nodes for tests of
// package quorum and of code built on it: miniredis servers reached over loopback TCP through
// the real go-redis adapter, each wrapped in a FaultyNode that a test can stall (a black hole
// whose queued requests still run when it resumes, like a SIGSTOPped server), slow down, make
// fail, or make lose replies after the write happened.
package quorumtest
