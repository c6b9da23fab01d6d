// Command countserver serves one variant of the count app on an address,
// for a load driver in another process (see bench/run.sh):
//
//	countserver -variant ours-mem -addr 127.0.0.1:8080 -dir /tmp/x
//
// GET /_stats answers how many /count requests were answered 200 since the
// start. With -pprof ADDR, net/http/pprof is served on ADDR, apart from the
// measured server. -list prints the variants.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof" // on -pprof only: http.DefaultServeMux
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gowebpy/web/bench"
)

func main() {
	variant := flag.String("variant", "", "the variant to serve (see -list)")
	addr := flag.String("addr", "127.0.0.1:8080", "the address to listen on")
	dir := flag.String("dir", "", "a folder for the variant's files (default: a new temporary folder, removed at exit)")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address")
	list := flag.Bool("list", false, "print the variants, one a line: name, group, why it cannot run here (- if it can), description")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("countserver: ")

	if *list {
		env := bench.EnvFromOS("")
		for _, v := range bench.Variants() {
			skip := v.Skip(env)
			if skip == "" {
				skip = "-" // a field of its own for bash's read
			}
			fmt.Printf("%s\t%s\t%s\t%s\n", v.Name, v.Group, skip, v.Desc)
		}
		return
	}
	v, ok := bench.Lookup(*variant)
	if !ok {
		log.Fatalf("unknown variant %q (try -list)", *variant)
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "countserver-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	env := bench.EnvFromOS(*dir)
	if why := v.Skip(env); why != "" {
		log.Fatalf("%s cannot run: %s", v.Name, why)
	}
	h, closeV, err := v.New(env)
	if err != nil {
		log.Fatalf("%s: %v", v.Name, err)
	}

	var served atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/_stats", func(w http.ResponseWriter, r *http.Request) {
		w.Write(strconv.AppendInt(nil, served.Load(), 10))
	})
	mux.Handle("/", bench.Counted(h, &served))

	if *pprofAddr != "" {
		go func() { log.Println(http.ListenAndServe(*pprofAddr, nil)) }()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(os.Stderr, "countserver: http: ", 0)}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	log.Printf("serving %s on %s", v.Name, ln.Addr())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Print(err)
	}
	if err := closeV(); err != nil {
		log.Printf("closing %s: %v", v.Name, err)
	}
}
