// Package promobserver exports what a quorum.Locker does as Prometheus metrics: it is a
// quorum.Observer. Package quorum itself depends on no metrics library.
//
//	obs := promobserver.New(prometheus.DefaultRegisterer)
//	locker, err := quorum.Dial(ctx, urls, quorum.Options{Observer: obs})
//
// Metrics (prefix quorumlock_):
//
//	acquire_seconds{outcome}          histogram of TryAcquire attempts: granted, not_acquired,
//	                                  unavailable, cancelled, error
//	grants_total                      grants returned
//	node_replies_total{node,status}   acquire answers by node: granted, held, stale, amnesic, ...
//	node_errors_total{node,op}        calls to a node that failed or timed out
//	extend_failures_total{outcome}    extensions that failed: lost, unavailable, other
//	leases_lost_total                 leases that could no longer be guaranteed
//	token_refusals_total              proposals refused as stale and retried higher
//	heals_total{node,outcome}         heals of amnesic nodes: healed, failed
//
// Node labels are node names (host:port/db, never passwords); lock names are not used as
// labels, since there may be any number of them.
package promobserver
