package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "get" {
		os.Exit(get(os.Args[2:]))
	}
	os.Exit(serve(os.Args[1:]))
}

func name() string {
	if n := os.Getenv("POD_NAME"); n != "" {
		return n
	}
	n, _ := os.Hostname()
	return n
}

func serve(args []string) int {
	fs := flag.NewFlagSet("httpecho", flag.ContinueOnError)
	addr := ":8080"
	if p := os.Getenv("PORT"); p != "" {
		addr = ":" + p
	}
	listen := fs.String("listen", addr, "address to serve on")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	me := name()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "GET only", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, me)
	})
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	fmt.Fprintf(os.Stderr, "httpecho: %s serving on %s\n", me, *listen)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		fmt.Fprintf(os.Stderr, "httpecho: %v\n", err)
		return 1
	}
	return 0
}

// result is what the client reports of one URL.
type result struct {
	URL       string         `json:"url"`
	Addresses []string       `json:"addresses,omitempty"`
	Answers   map[string]int `json:"answers"`
	Errors    []string       `json:"errors,omitempty"`
}

func get(args []string) int {
	fs := flag.NewFlagSet("httpecho get", flag.ContinueOnError)
	n := fs.Int("n", 20, "requests per URL")
	timeout := fs.Duration("timeout", 5*time.Second, "timeout of each lookup and request")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: httpecho get [-n 20] [-timeout 5s] URL...")
		return 2
	}
	client := &http.Client{Timeout: *timeout, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	code := 0
	for _, u := range fs.Args() {
		res := result{URL: u, Answers: map[string]int{}}
		if parsed, err := url.Parse(u); err != nil {
			res.Errors = append(res.Errors, err.Error())
		} else if net.ParseIP(parsed.Hostname()) == nil {
			ctx, cancel := context.WithTimeout(context.Background(), *timeout)
			addrs, err := net.DefaultResolver.LookupHost(ctx, parsed.Hostname())
			cancel()
			if err != nil {
				res.Errors = append(res.Errors, err.Error())
			}
			res.Addresses = addrs
		}
		for i := 0; i < *n && len(res.Errors) < 3; i++ {
			answer, err := fetch(client, u)
			if err != nil {
				res.Errors = append(res.Errors, err.Error())
				continue
			}
			res.Answers[answer]++
		}
		if len(res.Errors) > 0 {
			code = 1
		}
		line, _ := json.Marshal(res)
		fmt.Println(string(line))
	}
	return code
}

func fetch(client *http.Client, u string) (string, error) {
	resp, err := client.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return strings.TrimSpace(string(body)), nil
}
