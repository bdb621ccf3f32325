package faultnet_test

import (
	"bufio"
	"context"
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/quorumlock/quorumlock/internal/faultnet"
)

// A stall holds a command without blocking its writer; Resume runs it.
func ExampleNode_Stall() {
	s := miniredis.NewMiniRedis()
	if err := s.Start(); err != nil {
		panic(err)
	}
	defer s.Close()
	var nw faultnet.Network
	node := nw.Add(s.Addr())
	dial := nw.Dialer(0) // e.g. quorum.Options.Dialer of client 0

	nc, err := dial(context.Background(), "tcp", s.Addr())
	if err != nil {
		panic(err)
	}
	defer nc.Close()

	node.Stall()
	_, err = nc.Write([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n"))
	fmt.Println("write during the stall:", err)
	fmt.Println("key on the server:", s.Exists("k"))

	node.Resume()
	reply, _ := bufio.NewReader(nc).ReadString('\n')
	fmt.Printf("reply after Resume: %q\n", reply)
	fmt.Println("key on the server:", s.Exists("k"))
	// Output:
	// write during the stall: <nil>
	// key on the server: false
	// reply after Resume: "+OK\r\n"
	// key on the server: true
}
