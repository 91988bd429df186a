// Command tpx-echo is the test application of the local cluster's end-to-end suite.
//
//	tpx-echo                       serve HTTP on $HTTP_PORT (8080) and UDP on $UDP_PORT (9090)
//	tpx-echo get URL [-H NAME:VALUE]...
//	                               print the body of GET URL, sent with those headers
//	                               (exit 1 unless 2xx)
//	tpx-echo post URL N            POST N deterministic bytes to URL, print {sent, seconds,
//	                               status, body} as JSON (exit 1 unless 2xx)
//	tpx-echo lookup NAME [SERVER]  print the addresses NAME resolves to, one a line, asking
//	                               SERVER (an IP, port 53) instead of /etc/resolv.conf
//	tpx-echo udp HOST:PORT TEXT    send TEXT as one datagram and print the reply
//	tpx-echo sleep                 do nothing until killed
//
// HTTP endpoints: /bytes?n=N&seed=S streams N deterministic bytes, /sum?n=N&seed=S
// answers their sha256, POST /sink answers the sha256 and length of the body it got,
// and any other path answers the request it got as JSON, with the pod's name.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	args := os.Args[1:]
	if len(args) == 0 {
		serve()
		return
	}
	var err error
	switch {
	case args[0] == "get" && len(args) >= 2:
		err = get(args[1], args[2:])
	case args[0] == "post" && len(args) == 3:
		err = post(args[1], args[2])
	case args[0] == "lookup" && len(args) == 2:
		err = lookup(args[1], "")
	case args[0] == "lookup" && len(args) == 3:
		err = lookup(args[1], args[2])
	case args[0] == "udp" && len(args) == 3:
		err = udp(args[1], args[2])
	case args[0] == "sleep":
		waitForSignal()
	default:
		fmt.Fprintln(os.Stderr, "usage: tpx-echo [get URL | post URL N | lookup NAME [SERVER] | udp HOST:PORT TEXT | sleep]")
		os.Exit(127)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func podName() string {
	if name := os.Getenv("POD_NAME"); name != "" {
		return name
	}
	name, _ := os.Hostname()
	return name
}

func envOr(key, fallback string) string {
	if value := os.Getenv(key); value != "" {
		return value
	}
	return fallback
}

func waitForSignal() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	<-signals
}

func serve() {
	mux := http.NewServeMux()
	mux.HandleFunc("/bytes", func(w http.ResponseWriter, r *http.Request) {
		n, seed, err := sizeAndSeed(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		writeStream(w, n, seed)
	})
	mux.HandleFunc("/sum", func(w http.ResponseWriter, r *http.Request) {
		n, seed, err := sizeAndSeed(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		hash := sha256.New()
		writeStream(hash, n, seed)
		writeJSON(w, map[string]any{"pod": podName(), "bytes": n, "sha256": hex.EncodeToString(hash.Sum(nil))})
	})
	mux.HandleFunc("POST /sink", func(w http.ResponseWriter, r *http.Request) {
		hash := sha256.New()
		n, err := io.Copy(hash, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, map[string]any{"pod": podName(), "bytes": n, "sha256": hex.EncodeToString(hash.Sum(nil))})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, map[string]any{
			"pod":     podName(),
			"method":  r.Method,
			"path":    r.URL.Path,
			"query":   r.URL.RawQuery,
			"host":    r.Host,
			"headers": r.Header,
			"body":    string(body),
			"remote":  r.RemoteAddr,
		})
	})
	go serveUDP(":" + envOr("UDP_PORT", "9090"))
	server := &http.Server{Addr: ":" + envOr("HTTP_PORT", "8080"), Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		waitForSignal()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(ctx)
	}()
	log.Printf("echo %s: http %s, udp :%s", podName(), server.Addr, envOr("UDP_PORT", "9090"))
	if err := server.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

func serveUDP(addr string) {
	conn, err := net.ListenPacket("udp", addr)
	if err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, 65535)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			log.Printf("udp: %v", err)
			continue
		}
		reply := append([]byte(podName()+"\n"), buf[:n]...)
		if _, err := conn.WriteTo(reply, from); err != nil {
			log.Printf("udp reply to %s: %v", from, err)
		}
	}
}

func sizeAndSeed(r *http.Request) (int64, uint64, error) {
	n, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
	if err != nil || n < 0 {
		return 0, 0, fmt.Errorf("query n must be a byte count")
	}
	seed, _ := strconv.ParseUint(r.URL.Query().Get("seed"), 10, 64)
	return n, seed, nil
}

// writeStream writes n bytes of a xorshift sequence: cheap, deterministic, incompressible.
func writeStream(w io.Writer, n int64, seed uint64) {
	state := seed*2654435761 + 88172645463325252
	buf := make([]byte, 64<<10)
	for n > 0 {
		for i := 0; i+8 <= len(buf); i += 8 {
			state ^= state << 13
			state ^= state >> 7
			state ^= state << 17
			binary.LittleEndian.PutUint64(buf[i:], state)
		}
		chunk := int64(len(buf))
		if n < chunk {
			chunk = n
		}
		if _, err := w.Write(buf[:chunk]); err != nil {
			return
		}
		n -= chunk
	}
}

func writeJSON(w http.ResponseWriter, value any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(value)
}

func get(url string, options []string) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	for i := 0; i < len(options); i += 2 {
		name, value, ok := "", "", false
		if options[i] == "-H" && i+1 < len(options) {
			name, value, ok = strings.Cut(options[i+1], ":")
		}
		if !ok || strings.TrimSpace(name) == "" {
			return fmt.Errorf("get: give headers as -H NAME:VALUE, not %q", strings.Join(options[i:], " "))
		}
		req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(os.Stdout, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

func lookup(name, server string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resolver := net.DefaultResolver
	if server != "" {
		resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var dialer net.Dialer
			return dialer.DialContext(ctx, network, net.JoinHostPort(server, "53"))
		}}
	}
	addrs, err := resolver.LookupHost(ctx, name)
	if err != nil {
		return err
	}
	for _, addr := range addrs {
		fmt.Println(addr)
	}
	return nil
}

func udp(addr, text string) error {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	buf := make([]byte, 65535)
	for attempt := 0; attempt < 5; attempt++ {
		if _, err := conn.Write([]byte(text)); err != nil {
			return err
		}
		_ = conn.SetReadDeadline(time.Now().Add(time.Second))
		n, err := conn.Read(buf)
		if err == nil {
			os.Stdout.Write(buf[:n])
			return nil
		}
	}
	return fmt.Errorf("no UDP reply from %s", addr)
}

// post uploads n bytes of the /bytes sequence, timing from the request to the whole answer, so
// that a benchmark measures the transfer inside the cluster and not kubectl exec around it.
func post(url, count string) error {
	n, err := strconv.ParseInt(count, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("N must be a byte count, not %q", count)
	}
	body, writer := io.Pipe()
	go func() {
		writeStream(writer, n, 1)
		_ = writer.Close()
	}()
	request, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		return err
	}
	request.ContentLength = n
	client := &http.Client{Timeout: 10 * time.Minute}
	start := time.Now()
	resp, err := client.Do(request)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	seconds := time.Since(start).Seconds()
	if err := json.NewEncoder(os.Stdout).Encode(map[string]any{
		"sent": n, "seconds": seconds, "status": resp.StatusCode, "body": string(answer),
	}); err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	return nil
}
