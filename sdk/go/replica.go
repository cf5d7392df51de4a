package pontoon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// The environment of a warm replica, besides PONTOON_FUNCTION, PONTOON_NAMESPACE and
// PONTOON_VERSION (docs/warm-replicas.md, "Environment").
const (
	EnvRuntimeAPI         = "PONTOON_RUNTIME_API"         // host:port of the runtime API; set only in a warm replica
	EnvReplicaToken       = "PONTOON_REPLICA_TOKEN"       // the replica's secret, sent as a bearer token
	EnvReplicaConcurrency = "PONTOON_REPLICA_CONCURRENCY" // most invocations the replica may hold in flight
	EnvReplicaPrefetch    = "PONTOON_REPLICA_PREFETCH"    // how many more it may hold, claimed ahead to wait for a slot
	EnvReplicaProtocol    = "PONTOON_REPLICA_PROTOCOL"    // the protocol version Pontoon speaks
)

// ReplicaProtocol is the version of the replica protocol this SDK speaks.
const ReplicaProtocol = "1"

const (
	nextWait       = 20 * time.Second // how long one next long-polls before an empty answer
	maxResults     = 1000             // most results one request may carry
	maxBatch       = 1000             // most invocations one request may ask for: more is a 400
	firstRetry     = 100 * time.Millisecond
	maxRetry       = 5 * time.Second
	unreachableFor = 30 * time.Second // the runtime API unreachable this long: the controller is gone
	gatherFor      = time.Millisecond // how long finished outcomes wait for running handlers to join their post
	tooLarge       = "the result is larger than the runtime API accepts (16 MiB a request)"
)

// errReplicaExit marks what the protocol says to exit non-zero for: a 401, a bug on either side,
// a runtime API unreachable for 30 s.
var errReplicaExit = errors.New("pontoon replica")

// runtimeAPI is the replica's HTTP client of the runtime API, keeping its connections alive.
type runtimeAPI struct {
	base, auth string
	client     *http.Client
}

func newRuntimeAPI(address, token string) *runtimeAPI {
	transport := &http.Transport{MaxIdleConnsPerHost: 2, DisableCompression: true}
	return &runtimeAPI{
		base:   "http://" + address + "/v1",
		auth:   "Bearer " + token,
		client: &http.Client{Transport: transport, Timeout: nextWait + 30*time.Second},
	}
}

// request sends one request and returns the answer's status and body. A 5xx is retried after
// 100 ms, 200 ms, ... up to 5 s between tries; a connection that cannot be made or breaks is
// retried so for up to 30 s, then it gives up with errReplicaExit.
func (api *runtimeAPI) request(method, path string, body []byte) (int, []byte, error) {
	pause := firstRetry
	var unreachableSince time.Time
	for {
		status, data, err := api.send(method, path, body)
		if err == nil && status < 500 {
			return status, data, nil
		}
		if err != nil {
			if unreachableSince.IsZero() {
				unreachableSince = time.Now()
			} else if time.Since(unreachableSince) >= unreachableFor {
				return 0, nil, fmt.Errorf("%w: the runtime API at %s is unreachable: %v", errReplicaExit, api.base, err)
			}
		} else {
			unreachableSince = time.Time{}
		}
		time.Sleep(pause)
		pause = min(pause*2, maxRetry)
	}
}

func (api *runtimeAPI) send(method, path string, body []byte) (int, []byte, error) {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	request, err := http.NewRequest(method, api.base+path, reader)
	if err != nil {
		return 0, nil, err
	}
	request.Header.Set("Authorization", api.auth)
	if body != nil {
		request.Header.Set("Content-Type", "application/json")
	}
	response, err := api.client.Do(request)
	if err != nil {
		return 0, nil, err
	}
	defer response.Body.Close()
	data, err := io.ReadAll(response.Body)
	return response.StatusCode, data, err
}

// refused is the error for an answer the protocol says to exit non-zero for.
func refused(request string, status int, body []byte) error {
	if len(body) > 1000 {
		body = body[:1000]
	}
	return fmt.Errorf("%w: the runtime API answered %s with %d: %s", errReplicaExit, request, status, body)
}

// failStart reports why this replica cannot start to /v1/init/error, and exits 1.
func failStart(message string) {
	fmt.Fprintln(os.Stderr, message)
	if message == "" {
		message = "the replica cannot start"
	}
	body, _ := json.Marshal(map[string]string{"error": message})
	api := newRuntimeAPI(os.Getenv(EnvRuntimeAPI), os.Getenv(EnvReplicaToken))
	if _, _, err := api.request(http.MethodPost, "/init/error", body); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(1)
}

// invocation is one attempt handed to the replica by next.
type invocation struct {
	ID          string          `json:"id"`
	ExecutionID string          `json:"executionId"`
	Attempt     int             `json:"attempt"`
	Deadline    string          `json:"deadline"`
	Input       json.RawMessage `json:"input"`
	Traceparent string          `json:"traceparent"`
	Tracestate  string          `json:"tracestate"`
}

// result is one outcome as the results request carries it.
type result struct {
	ID     string          `json:"id"`
	Status string          `json:"status"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// replica is the loop of one warm replica: a goroutine per invocation runs the handler (up to
// the concurrency), and two speak to the runtime API. The main one long-polls next for the free
// slots while no post is under way; the results goroutine posts what has finished as one
// results?next=F request, F being the slots free once they are accepted, and starts the
// invocations its answer brings: under load, one round trip per batch each way. With prefetch,
// it holds that many more than its slots, queued until a handler finishes, so that each post
// carries a bigger batch each way.
type replica[I, O any] struct {
	handler     Handler[I, O]
	concurrency int
	prefetch    int
	address     string
	token       string
	function    string
	namespace   string
	version     string

	mu      sync.Mutex
	changed *sync.Cond
	// inFlight counts invocations handed out and not yet answered by an accepted post.
	inFlight int
	// running counts handlers started and not finished (at most concurrency), so that a post can
	// gather a batch and a prefetched invocation waits for a slot.
	running int
	// waiting holds invocations in flight that wait for a slot, oldest first.
	waiting  []invocation
	finished []result
	posting  bool
	draining bool
}

// serveReplica runs the replica loop until Pontoon drains the replica (exit 0) or the protocol
// says to stop (exit 1). It does not return.
func serveReplica[I, O any](handler Handler[I, O]) {
	if protocol := os.Getenv(EnvReplicaProtocol); protocol != ReplicaProtocol {
		failStart(fmt.Sprintf("%s=%s: this SDK speaks replica protocol %s only", EnvReplicaProtocol, orUnset(protocol), ReplicaProtocol))
	}
	concurrency, err := strconv.Atoi(os.Getenv(EnvReplicaConcurrency))
	if err != nil || concurrency < 1 {
		failStart(fmt.Sprintf("%s=%s is not a positive integer", EnvReplicaConcurrency, orUnset(os.Getenv(EnvReplicaConcurrency))))
	}
	lanes := laneSlots(concurrency, os.Getenv(EnvReplicaLanes))
	prefetch := splitEvenly(replicaPrefetch(os.Getenv(EnvReplicaPrefetch)), len(lanes))
	failures := make(chan error, len(lanes))
	for i, slots := range lanes {
		r := &replica[I, O]{
			handler:     handler,
			concurrency: slots,
			prefetch:    prefetch[i],
			address:     os.Getenv(EnvRuntimeAPI),
			token:       os.Getenv(EnvReplicaToken),
			function:    os.Getenv(EnvFunction),
			namespace:   os.Getenv(EnvNamespace),
			version:     os.Getenv(EnvVersion),
		}
		r.changed = sync.NewCond(&r.mu)
		go func() { failures <- r.run() }()
	}
	// Every lane ends once Pontoon drains the replica; the first that cannot go on ends them all.
	for range lanes {
		if err := <-failures; err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	os.Exit(0)
}

// EnvReplicaLanes is the SDK's own setting (not the protocol's): how many post cycles share the
// replica's slots.
const EnvReplicaLanes = "PONTOON_REPLICA_LANES"

// twoLanesFrom is the slots from which a replica runs two lanes when EnvReplicaLanes is unset:
// with fewer, a lane's batch is too small for the overlap to pay for its round trips.
const twoLanesFrom = 8

// laneSlots splits the replica's slots evenly into lanes, each a replica loop of its own (its
// long poll, its results posts): while the server settles and claims one lane's batch, another
// lane's runs. As many lanes as asked (when unset, two from twoLanesFrom slots, else one), at
// most one per slot.
func laneSlots(concurrency int, asked string) []int {
	count := 1
	if concurrency >= twoLanesFrom {
		count = 2
	}
	if n, err := strconv.Atoi(asked); err == nil && n > 0 {
		count = n
	}
	return splitEvenly(concurrency, min(count, concurrency))
}

// splitEvenly splits total into count shares that differ by at most one, the larger first.
func splitEvenly(total, count int) []int {
	shares := make([]int, count)
	for i := range shares {
		shares[i] = total / count
		if i < total%count {
			shares[i]++
		}
	}
	return shares
}

// replicaPrefetch reads EnvReplicaPrefetch. It only lets the replica claim ahead, so a value
// that is not a count of invocations means none rather than a replica that cannot start.
func replicaPrefetch(value string) int {
	n, err := strconv.Atoi(value)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

func orUnset(value string) string {
	if value == "" {
		return "(unset)"
	}
	return value
}

// run serves until Pontoon drains the replica and every outcome is posted.
func (r *replica[I, O]) run() error {
	go r.postFinished()
	api := newRuntimeAPI(r.address, r.token)
	path := "/invocations/next?wait=" + strconv.Itoa(int(nextWait/time.Millisecond)) + "&max="
	for {
		r.mu.Lock()
		for !r.draining && (r.free(0) <= 0 || r.posting) {
			r.changed.Wait()
		}
		draining, free := r.draining, r.free(0)
		r.mu.Unlock()
		if draining {
			break
		}
		status, body, err := api.request(http.MethodGet, path+strconv.Itoa(free), nil)
		if err != nil {
			return err
		}
		if status == http.StatusNoContent {
			continue
		}
		if status == http.StatusGone {
			r.mu.Lock()
			r.draining = true // finish what is in flight, post it, exit 0
			r.mu.Unlock()
			break
		}
		if status != http.StatusOK {
			return refused("next", status, body)
		}
		var answer struct {
			Invocations []invocation `json:"invocations"`
		}
		if err := json.Unmarshal(body, &answer); err != nil {
			return fmt.Errorf("%w: next answered with a body that is not the protocol's: %v", errReplicaExit, err)
		}
		r.start(answer.Invocations)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.inFlight > 0 || r.posting {
		r.changed.Wait()
	}
	return nil
}

// preemptStart, set only by tests, runs where the goroutine that starts invocations may be
// preempted before it counts them: the scheduler rarely does so, and never on demand.
var preemptStart func()

// free is how many more invocations the lane may ask for once settling of its outcomes are
// accepted: its slots and its prefetch, less what it holds, within one request's limit. Called
// with mu held.
func (r *replica[I, O]) free(settling int) int {
	return max(0, min(maxBatch, r.concurrency+r.prefetch-r.inFlight+settling))
}

// start runs invocations, a goroutine each, as slots allow.
func (r *replica[I, O]) start(invocations []invocation) {
	if preemptStart != nil {
		preemptStart()
	}
	r.mu.Lock()
	r.inFlight += len(invocations)
	now := r.take(invocations)
	r.mu.Unlock()
	r.launch(now)
}

// take queues invocations behind those already waiting and returns the oldest that free slots
// can run now, counted as running: prefetched invocations run in the order Pontoon handed them
// out, as their deadlines run from then. Called with mu held.
func (r *replica[I, O]) take(invocations []invocation) []invocation {
	r.waiting = append(r.waiting, invocations...)
	n := min(len(r.waiting), r.concurrency-r.running)
	now := r.waiting[:n:n]
	r.waiting = r.waiting[n:]
	r.running += n
	return now
}

// launch runs invocations already counted in flight and running, a goroutine each.
func (r *replica[I, O]) launch(invocations []invocation) {
	for _, inv := range invocations {
		go r.runInvocation(inv)
	}
}

// runInvocation runs one invocation's handler; its outcome joins the finished ones.
func (r *replica[I, O]) runInvocation(inv invocation) {
	outcome := r.invoke(inv)
	done := result{ID: inv.ID, Status: "succeeded", Result: outcome.Output}
	if !outcome.OK {
		done = result{ID: inv.ID, Status: "failed", Error: outcome.Error}
		if done.Error == "" {
			done.Error = "failed"
		}
	}
	r.mu.Lock()
	r.finished = append(r.finished, done)
	r.running--
	next := r.take(nil)
	r.changed.Broadcast()
	r.mu.Unlock()
	r.launch(next)
}

func (r *replica[I, O]) invoke(inv invocation) Outcome {
	info := Info{ExecutionID: inv.ExecutionID, Attempt: max(inv.Attempt, 1), Function: r.function, Namespace: r.namespace, Version: r.version, Traceparent: inv.Traceparent, Tracestate: inv.Tracestate}
	if inv.Deadline != "" {
		deadline, err := time.Parse(time.RFC3339Nano, inv.Deadline)
		if err != nil {
			return Failed(fmt.Sprintf("invocation deadline is not an ISO 8601 timestamp: %s", inv.Deadline))
		}
		info.Deadline = deadline
	}
	ctx, cancel := NewContext(context.Background(), info, invocationLogger(inv.ID))
	defer cancel()
	return Invoke(ctx, r.handler, inv.Input)
}

// postFinished posts what has finished in one request and starts what its answer brings, while
// handlers keep running. An answer the protocol says to exit for ends the process from here, as
// the loop may be in a long poll for 20 s.
func (r *replica[I, O]) postFinished() {
	api := newRuntimeAPI(r.address, r.token)
	for {
		r.mu.Lock()
		for len(r.finished) == 0 {
			r.changed.Wait()
		}
		r.posting = true
		// Handlers still running may be about to finish (a batch of quick ones): they join this
		// post if they do within gatherFor.
		for until := time.Now().Add(gatherFor); r.running > 0 && len(r.finished) < maxResults && time.Now().Before(until); {
			r.mu.Unlock()
			time.Sleep(20 * time.Microsecond)
			r.mu.Lock()
		}
		batch := r.finished[:min(len(r.finished), maxResults)]
		r.finished = r.finished[len(batch):]
		free := r.free(len(batch))
		if r.draining {
			free = 0
		}
		r.mu.Unlock()
		// Lines count for an invocation only if Pontoon reads them before its result: os.Stdout
		// and os.Stderr are unbuffered, so every logged line has been written by now.
		answer, err := r.post(api, batch, free)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		// The answer's invocations hold their slots before the post is over: were posting cleared
		// first, the loop could see those slots free and ask next for them (taking part of the
		// following post's batch), or, once drained, see nothing in flight and exit without them.
		r.mu.Lock()
		r.inFlight += len(answer.Invocations) - len(batch)
		now := r.take(answer.Invocations)
		r.draining = r.draining || answer.Draining
		r.posting = false
		r.changed.Broadcast()
		r.mu.Unlock()
		r.launch(now)
	}
}

// resultsAnswer is what a results post answers; with next, the next batch.
type resultsAnswer struct {
	Invocations []invocation `json:"invocations"`
	Draining    bool         `json:"draining"`
}

// post posts outcomes, asking for up to next invocations in the same round trip.
func (r *replica[I, O]) post(api *runtimeAPI, batch []result, next int) (resultsAnswer, error) {
	var answer resultsAnswer
	body, err := json.Marshal(map[string][]result{"results": batch})
	if err != nil {
		return answer, fmt.Errorf("%w: results cannot be encoded: %v", errReplicaExit, err)
	}
	status, data, err := api.request(http.MethodPost, "/invocations/results?next="+strconv.Itoa(next), body)
	if err != nil {
		return answer, err
	}
	if status == http.StatusRequestEntityTooLarge {
		if len(batch) > 1 {
			for _, one := range batch { // too large together: one by one
				if _, err := r.post(api, []result{one}, 0); err != nil {
					return answer, err
				}
			}
			return answer, nil
		}
		return r.post(api, []result{{ID: batch[0].ID, Status: "failed", Error: tooLarge}}, 0)
	}
	if status != http.StatusOK {
		return answer, refused("results", status, data)
	}
	if next > 0 {
		if err := json.Unmarshal(data, &answer); err != nil {
			return answer, fmt.Errorf("%w: results answered with a body that is not the protocol's: %v", errReplicaExit, err)
		}
	}
	return answer, nil
}
