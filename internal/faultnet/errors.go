package faultnet

import "errors"

var (
	// ErrInjected is returned, wrapped in a *net.OpError, by Read and Write on a connection a
	// fault has reset (SetFail, SetLoseReplies, Cut), and by a dial a fault refuses.
	ErrInjected = errors.New("faultnet: injected fault")

	// ErrUnknownAddr is returned by a Dialer asked for an address it has no Node for.
	ErrUnknownAddr = errors.New("faultnet: no node at this address")

	// errServerClosed ends the writes of a connection the server closed or broke.
	errServerClosed = errors.New("faultnet: connection closed by the server")
)
