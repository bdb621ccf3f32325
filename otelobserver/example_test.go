package otelobserver_test

import (
	"context"
	"fmt"
	"log"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/quorumlock/quorumlock/otelobserver"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

// A Locker traced with OpenTelemetry. The in-memory exporter stands for a real one: in a
// service, pass sdktrace.WithBatcher(exporter) (an OTLP exporter, say) so that Observe never
// waits for an export.
func Example() {
	urls, stop := startNodes(3)
	defer stop()
	ctx := context.Background()

	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	defer tp.Shutdown(ctx)
	locker, err := quorum.Dial(ctx, urls, quorum.Options{Observer: otelobserver.New(tp, otelobserver.Options{})})
	if err != nil {
		log.Fatal(err)
	}
	defer locker.Close()

	lease, err := locker.Acquire(ctx, "nightly-billing")
	if err != nil {
		log.Fatal(err)
	}
	if err := lease.Extend(ctx); err != nil {
		log.Fatal(err)
	}
	if err := lease.Release(ctx); err != nil {
		log.Fatal(err)
	}

	for _, s := range exporter.GetSpans() {
		var name, outcome string
		for _, kv := range s.Attributes {
			switch kv.Key {
			case "quorumlock.lock.name":
				name = kv.Value.AsString()
			case "quorumlock.outcome":
				outcome = kv.Value.AsString()
			}
		}
		if name != "" { // spans of failed node calls name a node, not a lock
			fmt.Println(s.Name, name, outcome)
		}
	}
	// Output:
	// quorumlock.acquire nightly-billing granted
	// quorumlock.extend nightly-billing extended
}

// startNodes starts n in-process Redis servers, brought into service as a new deployment, and
// returns their URLs and a function that stops them. Real deployments pass the URLs of
// independent redis-server processes.
func startNodes(n int) ([]string, func()) {
	var urls []string
	var servers []*quorumtest.Server
	stop := func() {
		for _, s := range servers {
			s.Close()
		}
	}
	for range n {
		s, err := quorumtest.StartServer()
		if err != nil {
			stop()
			log.Fatal(err)
		}
		servers = append(servers, s)
		urls = append(urls, "redis://"+s.Addr())
	}
	ctx := context.Background()
	locker, err := quorum.Dial(ctx, urls, quorum.Options{})
	if err != nil {
		stop()
		log.Fatal(err)
	}
	defer locker.Close()
	if _, err := locker.Heal(ctx, quorum.HealOptions{NewDeployment: true}); err != nil {
		stop()
		log.Fatal(err)
	}
	return urls, stop
}
