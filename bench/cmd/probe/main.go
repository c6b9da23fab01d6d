// Command probe is the load harness's helper around wrk (see bench/run.sh):
//
//	probe wait ADDR              wait until the countserver on ADDR answers
//	probe cookies ADDR N FILE    make N sessions (GET /count without a cookie)
//	                             and write their cookies to FILE, one a line
//	                             ("sid=no-session" where none is set)
//	probe count ADDR COOKIE      GET /count with COOKIE ("sid=..."); print the body
//	probe stats ADDR             print how many /count requests were answered
//	                             200, once that number has stopped moving
package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

var client = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 16},
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

func main() {
	if len(os.Args) < 3 {
		usage()
	}
	addr := "http://" + os.Args[2]
	var err error
	switch os.Args[1] {
	case "wait":
		err = wait(addr)
	case "cookies":
		if len(os.Args) != 5 {
			usage()
		}
		n, perr := strconv.Atoi(os.Args[3])
		if perr != nil {
			usage()
		}
		err = cookies(addr, n, os.Args[4])
	case "count":
		if len(os.Args) != 4 {
			usage()
		}
		var body string
		body, _, err = get(addr+"/count", os.Args[3])
		if err == nil {
			fmt.Println(body)
		}
	case "stats":
		var n int64
		n, err = settled(addr)
		if err == nil {
			fmt.Println(n)
		}
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: probe wait ADDR | cookies ADDR N FILE | count ADDR COOKIE | stats ADDR")
	os.Exit(2)
}

// get fetches url with cookie and returns the body and the session
// cookie the response set, as "name=value".
func get(url, cookie string) (body, setCookie string, err error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return "", "", err
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(b)))
	}
	for _, ck := range resp.Cookies() {
		if ck.Value != "" {
			setCookie = ck.Name + "=" + ck.Value
		}
	}
	return strings.TrimSpace(string(b)), setCookie, nil
}

func wait(addr string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, _, err := get(addr+"/_stats", "")
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cookies makes n sessions, eight requests at a time.
func cookies(addr string, n int, file string) error {
	out := make([]string, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				_, ck, err := get(addr+"/count", "")
				if err == nil && ck == "" {
					// The bare handler has no session: send a cookie of
					// the same name anyway, so its requests look alike.
					ck = "sid=no-session"
				}
				if err != nil {
					errs <- err
					continue
				}
				out[i] = ck
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, ck := range out {
		fmt.Fprintln(w, ck)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// settled reads /_stats until two reads 200 ms apart agree: requests that
// were in flight when the load driver stopped have then been answered.
func settled(addr string) (int64, error) {
	prev := int64(-1)
	for range 100 {
		body, _, err := get(addr+"/_stats", "")
		if err != nil {
			return 0, err
		}
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			return 0, err
		}
		if n == prev {
			return n, nil
		}
		prev = n
		time.Sleep(200 * time.Millisecond)
	}
	return prev, fmt.Errorf("the count of answered requests did not settle")
}
