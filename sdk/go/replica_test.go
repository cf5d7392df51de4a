package pontoon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	pontoon "pontoon.dev/sdk/go"
)

const replicaToken = "test-token-0123456789"

// fakeRuntimeAPI plays the controller's side of the replica protocol (docs/warm-replicas.md) on
// a real loopback HTTP server: it hands out a fixed list of invocations, records what the replica
// asks for and posts, checks the protocol's rules as it goes, and answers 410 once it has nothing
// left to hand out.
type fakeRuntimeAPI struct {
	concurrency int
	prefetch    int // what the replica may hold beyond its concurrency (its PONTOON_REPLICA_PREFETCH)
	server      *httptest.Server

	mu                sync.Mutex
	pending           []map[string]any
	inputs            map[string]json.RawMessage
	inFlight          map[string]bool
	results           map[string]map[string]any
	batchesHanded     []int
	asked             []int // what each next (max) and results post (next > 0) asked for, in order
	resultsPosts      [][]string
	initErrors        []string
	handedWithResults int
	nextsWithNoSlot   int // next requests that came while every slot was in flight and work was left
	inFlightAtDrain   int
	drained           bool
	violations        []string
	requests          map[string]int
	failures          map[string]int // how many of each request are first answered 5xx
	holdFirstResult   time.Duration
	holdEveryResult   time.Duration // each results post is answered this late (lanes' posts then overlap)
	resultsUnderWay   int
	mostResultsAtOnce int
}

func newFakeRuntimeAPI(t *testing.T, inputs []string, concurrency int) *fakeRuntimeAPI {
	api := &fakeRuntimeAPI{
		concurrency: concurrency,
		inputs:      map[string]json.RawMessage{},
		inFlight:    map[string]bool{},
		results:     map[string]map[string]any{},
		requests:    map[string]int{},
		failures:    map[string]int{},
	}
	for i, input := range inputs {
		id := fmt.Sprintf("ex-%d#1", i)
		api.inputs[id] = json.RawMessage(input)
		api.pending = append(api.pending, map[string]any{
			"id": id, "executionId": fmt.Sprintf("ex-%d", i), "attempt": 1,
			"deadline": "2099-01-01T00:00:00.000Z", "input": json.RawMessage(input),
		})
	}
	api.server = httptest.NewServer(http.HandlerFunc(api.serve))
	t.Cleanup(api.server.Close)
	return api
}

func (api *fakeRuntimeAPI) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Pontoon-Protocol", "1")
	if r.Header.Get("Authorization") != "Bearer "+replicaToken {
		answer(w, 401, map[string]any{"error": map[string]any{"code": "UNAUTHORIZED", "message": "wrong token", "details": map[string]any{}}})
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/invocations/next":
		asked, _ := strconv.Atoi(r.URL.Query().Get("max"))
		status, body := api.next(asked)
		answer(w, status, body)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/invocations/results":
		var body struct {
			Results []map[string]any `json:"results"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			answer(w, 400, map[string]any{"error": map[string]any{"code": "INVALID_REQUEST", "message": err.Error(), "details": map[string]any{}}})
			return
		}
		next, _ := strconv.Atoi(r.URL.Query().Get("next"))
		status, answerBody := api.postResults(body.Results, next)
		answer(w, status, answerBody)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/init/error":
		var body struct{ Error string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		api.mu.Lock()
		api.initErrors = append(api.initErrors, body.Error)
		api.mu.Unlock()
		answer(w, 202, map[string]any{})
	default:
		answer(w, 404, map[string]any{"error": map[string]any{"code": "NOT_FOUND", "message": r.URL.Path, "details": map[string]any{}}})
	}
}

// configure changes the fake's settings under its lock: its server is up already, and its
// handlers read them under the same lock (go test -race).
func (api *fakeRuntimeAPI) configure(change func()) {
	api.mu.Lock()
	defer api.mu.Unlock()
	change()
}

func (api *fakeRuntimeAPI) fail(kind string) bool {
	api.requests[kind]++
	if api.failures[kind] > 0 {
		api.failures[kind]--
		return true
	}
	return false
}

func (api *fakeRuntimeAPI) next(asked int) (int, any) {
	api.mu.Lock()
	defer api.mu.Unlock()
	if api.fail("next") {
		return 503, map[string]any{"error": map[string]any{"code": "UNAVAILABLE", "message": "try again", "details": map[string]any{}}}
	}
	if len(api.inFlight) >= api.concurrency+api.prefetch && len(api.pending) > 0 {
		api.nextsWithNoSlot++
	}
	return api.handOut(asked)
}

// handOut hands out, as Pontoon does, never more than the replica may still hold (its
// concurrency and prefetch) whatever was asked. Asking for more than that is a replica's bug;
// asking for more than is free is not (a long poll and a results post may be under way at once).
func (api *fakeRuntimeAPI) handOut(asked int) (int, map[string]any) {
	api.asked = append(api.asked, asked)
	free := api.concurrency + api.prefetch - len(api.inFlight)
	if asked > api.concurrency+api.prefetch || asked < 1 {
		api.violations = append(api.violations, fmt.Sprintf("asked for %d with concurrency %d and prefetch %d", asked, api.concurrency, api.prefetch))
	}
	if len(api.pending) == 0 {
		if !api.drained {
			api.drained, api.inFlightAtDrain = true, len(api.inFlight)
		}
		return 410, map[string]any{"error": map[string]any{"code": "REPLICA_DRAINING", "message": "draining", "details": map[string]any{}}}
	}
	n := max(0, min(asked, free, len(api.pending)))
	batch := api.pending[:n]
	api.pending = api.pending[n:]
	for _, inv := range batch {
		api.inFlight[inv["id"].(string)] = true
	}
	api.batchesHanded = append(api.batchesHanded, n)
	return 200, map[string]any{"invocations": batch}
}

func (api *fakeRuntimeAPI) postResults(results []map[string]any, next int) (int, any) {
	api.mu.Lock()
	if api.fail("results") {
		api.mu.Unlock()
		return 500, map[string]any{"error": map[string]any{"code": "INTERNAL", "message": "try again", "details": map[string]any{}}}
	}
	first := len(api.resultsPosts) == 0
	api.resultsUnderWay++
	api.mostResultsAtOnce = max(api.mostResultsAtOnce, api.resultsUnderWay)
	holdFirst, holdEvery := api.holdFirstResult, api.holdEveryResult
	api.mu.Unlock()
	if first && holdFirst > 0 {
		// Held, so that other handlers finish meanwhile and the next request carries several.
		time.Sleep(holdFirst)
	}
	time.Sleep(holdEvery)
	api.mu.Lock()
	defer api.mu.Unlock()
	api.resultsUnderWay--
	ids := []string{}
	accepted, rejected := []string{}, []any{}
	for _, result := range results {
		id, _ := result["id"].(string)
		ids = append(ids, id)
		if api.inFlight[id] {
			delete(api.inFlight, id)
			api.results[id] = result
			accepted = append(accepted, id)
		} else {
			api.violations = append(api.violations, "result for "+id+", not in flight")
			rejected = append(rejected, map[string]any{"id": id, "code": "INVOCATION_NOT_IN_FLIGHT"})
		}
	}
	api.resultsPosts = append(api.resultsPosts, ids)
	answer := map[string]any{"accepted": accepted, "rejected": rejected}
	if next > 0 {
		// results?next=N: the next batch in the same round trip, as next would hand it out.
		status, more := api.handOut(next)
		if status == 200 {
			invocations := more["invocations"].([]map[string]any)
			api.handedWithResults += len(invocations)
			answer["invocations"] = invocations
		} else {
			answer["invocations"], answer["draining"] = []any{}, true
		}
	}
	return 200, answer
}

func answer(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// runReplica re-runs this test binary as a function program started as a warm replica.
func runReplica(t *testing.T, api *fakeRuntimeAPI, mode string, env ...string) childRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append([]string{
		fixtureEnv + "=" + mode,
		"PONTOON_RUNTIME_API=" + strings.TrimPrefix(api.server.URL, "http://"),
		"PONTOON_REPLICA_TOKEN=" + replicaToken,
		"PONTOON_REPLICA_ID=r-test",
		"PONTOON_REPLICA_CONCURRENCY=" + strconv.Itoa(api.concurrency),
		"PONTOON_REPLICA_PROTOCOL=1",
		"PONTOON_FUNCTION=primes",
	}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	api.mu.Lock() // the server's handlers are done with the process; read its records under the lock
	defer api.mu.Unlock()
	return childRun{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func ranges(count int) []string {
	inputs := []string{}
	for i := 0; i < count; i++ {
		inputs = append(inputs, fmt.Sprintf("[%d,%d]", i, i+20))
	}
	return inputs
}

func primesOf(t *testing.T, result map[string]any) []int {
	t.Helper()
	data, _ := json.Marshal(result["result"].(map[string]any)["primes"])
	var primes []int
	if err := json.Unmarshal(data, &primes); err != nil {
		t.Fatal(err)
	}
	return primes
}

func TestReplica_RunsEveryInvocationTakingAndPostingThemInBatchesAndExits0WhenDrained(t *testing.T) {
	api := newFakeRuntimeAPI(t, ranges(24), 4)
	api.configure(func() { api.holdFirstResult = 300 * time.Millisecond })
	run := runReplica(t, api, "serve-busy")
	if run.code != 0 || len(api.violations) > 0 || len(api.results) != 24 {
		t.Fatalf("exit %d, violations %v, %d results: %s", run.code, api.violations, len(api.results), run.stderr)
	}
	for id, result := range api.results {
		var bounds [2]int
		_ = json.Unmarshal(api.inputs[id], &bounds)
		if result["status"] != "succeeded" || !reflect.DeepEqual(primesOf(t, result), primesBetween(bounds[0], bounds[1])) {
			t.Fatalf("%s: %v", id, result)
		}
	}
	posted := []int{}
	for _, post := range api.resultsPosts {
		posted = append(posted, len(post))
	}
	if slicesMax(api.batchesHanded) < 2 || slicesMax(posted) < 2 || api.handedWithResults == 0 {
		t.Fatalf("batches handed %v (%d with results), results per post %v", api.batchesHanded, api.handedWithResults, posted)
	}
}

func TestReplica_DoesNotAskNextForTheSlotsAResultsAnswerFilled(t *testing.T) {
	// Each post's answer refills every slot: a next sent then waits (on Pontoon) for slots only
	// the following post frees, and takes part of its batch.
	api := newFakeRuntimeAPI(t, ranges(400), 4)
	run := runReplica(t, api, "serve-quick")
	if run.code != 0 || len(api.violations) > 0 || len(api.results) != 400 {
		t.Fatalf("exit %d, violations %v, %d results: %s", run.code, api.violations, len(api.results), run.stderr)
	}
	if api.nextsWithNoSlot != 0 {
		t.Fatalf("%d next requests with every slot in flight (%d next, %d results)", api.nextsWithNoSlot, api.requests["next"], api.requests["results"])
	}
}

func TestReplica_FromEightSlotsTwoLanesPostAtOnceUnlessOneIsAsked(t *testing.T) {
	for _, lanes := range []string{"", "1"} {
		api := newFakeRuntimeAPI(t, ranges(64), 8)
		api.configure(func() { api.holdEveryResult = 20 * time.Millisecond })
		run := runReplica(t, api, "serve-quick", "PONTOON_REPLICA_LANES="+lanes)
		if run.code != 0 || len(api.violations) > 0 || len(api.results) != 64 {
			t.Fatalf("lanes %q: exit %d, violations %v, %d results: %s", lanes, run.code, api.violations, len(api.results), run.stderr)
		}
		want := map[string]int{"": 2, "1": 1}[lanes]
		if api.mostResultsAtOnce != want || slicesMax(api.batchesHanded) > 8/want {
			t.Fatalf("lanes %q: %d results posts at once (want %d), batches handed %v", lanes, api.mostResultsAtOnce, want, api.batchesHanded)
		}
	}
}

func TestReplica_WithPrefetchItAsksForMoreThanItsSlotsAndRunsTheRestAsSlotsFree(t *testing.T) {
	for _, prefetch := range []int{0, 3} {
		api := newFakeRuntimeAPI(t, ranges(4), 1)
		api.configure(func() { api.prefetch = prefetch })
		env := []string{}
		if prefetch > 0 {
			env = append(env, "PONTOON_REPLICA_PREFETCH="+strconv.Itoa(prefetch))
		}
		run := runReplica(t, api, "serve-busy", env...)
		posted := 0
		for _, post := range api.resultsPosts {
			posted += len(post)
		}
		if run.code != 0 || len(api.violations) > 0 || len(api.results) != 4 || posted != 4 {
			t.Fatalf("prefetch %d: exit %d, violations %v, %d results, %d posted: %s", prefetch, run.code, api.violations, len(api.results), posted, run.stderr)
		}
		if want := 1 + prefetch; len(api.asked) == 0 || api.asked[0] != want || slicesMax(api.asked) != want || api.batchesHanded[0] != want {
			t.Fatalf("prefetch %d: asked for %v (want max=%d), batches handed %v", prefetch, api.asked, want, api.batchesHanded)
		}
		for id, result := range api.results {
			if peak := result["result"].(map[string]any)["peak"].(float64); peak != 1 {
				t.Fatalf("prefetch %d: %s ran with %v handlers at once, on 1 slot", prefetch, id, peak)
			}
		}
	}
}

func TestReplica_LanesSplitTheSlotsEvenly(t *testing.T) {
	cases := []struct {
		concurrency int
		asked       string
		want        []int
	}{{8, "", []int{4, 4}}, {7, "", []int{7}}, {16, "", []int{8, 8}}, {8, "1", []int{8}}, {5, "2", []int{3, 2}}, {1, "2", []int{1}}, {4, "two", []int{4}}}
	for _, c := range cases {
		if got := pontoon.LaneSlots(c.concurrency, c.asked); !reflect.DeepEqual(got, c.want) {
			t.Fatalf("LaneSlots(%d, %q) = %v, want %v", c.concurrency, c.asked, got, c.want)
		}
	}
}

func slicesMax(values []int) int {
	best := 0
	for _, v := range values {
		best = max(best, v)
	}
	return best
}

func TestReplica_RunsUpToItsConcurrencyAtOnceAndTagsEveryLineWithItsInvocation(t *testing.T) {
	api := newFakeRuntimeAPI(t, ranges(12), 4)
	run := runReplica(t, api, "serve-busy")
	if run.code != 0 {
		t.Fatalf("exit %d: %s", run.code, run.stderr)
	}
	peaks := []int{}
	for _, result := range api.results {
		peaks = append(peaks, int(result["result"].(map[string]any)["peak"].(float64)))
	}
	if peak := slicesMax(peaks); peak < 2 || peak > 4 {
		t.Fatalf("peaks %v", peaks)
	}
	lines := strings.Split(strings.TrimSuffix(run.stdout, "\n"), "\n")
	pattern := regexp.MustCompile(`^\x1e(\S+) \[INFO\] primes between (\d+) and (\d+), attempt 1 of (\S+)$`)
	if len(lines) != 12 {
		t.Fatalf("stdout %q", run.stdout)
	}
	for _, line := range lines {
		match := pattern.FindStringSubmatch(line)
		if match == nil || string(api.inputs[match[1]]) != "["+match[2]+","+match[3]+"]" || match[1] != match[4]+"#1" {
			t.Fatalf("line %q", line)
		}
	}
}

func TestReplica_On410ItFinishesTheInvocationsInFlightPostsThemAndExits0(t *testing.T) {
	api := newFakeRuntimeAPI(t, ranges(3), 8)
	run := runReplica(t, api, "serve-busy")
	if run.code != 0 || api.inFlightAtDrain != 3 || len(api.results) != 3 {
		t.Fatalf("exit %d, in flight at the 410 %d, %d results: %s", run.code, api.inFlightAtDrain, len(api.results), run.stderr)
	}
}

func TestReplica_AReturnedErrorAPanicAndAResultThatIsNotJSONAreFailedResults(t *testing.T) {
	api := newFakeRuntimeAPI(t, []string{"[10,1]", `"not json"`, "[1,10]"}, 2)
	run := runReplica(t, api, "serve-busy")
	if run.code != 0 {
		t.Fatalf("exit %d: %s", run.code, run.stderr)
	}
	if got := api.results["ex-0#1"]; got["status"] != "failed" || got["error"] != "from > to" {
		t.Fatalf("error: %v", got)
	}
	if got := api.results["ex-1#1"]; got["status"] != "failed" || !strings.HasPrefix(got["error"].(string), "result is not JSON-serializable") {
		t.Fatalf("not JSON: %v", got)
	}
	if got := primesOf(t, api.results["ex-2#1"]); !reflect.DeepEqual(got, []int{2, 3, 5, 7}) {
		t.Fatalf("primes %v", got)
	}
}

func TestReplica_AHandlerThatCannotBeLoadedIsReportedToInitErrorAndTheReplicaExits1(t *testing.T) {
	api := newFakeRuntimeAPI(t, ranges(1), 1)
	run := runReplica(t, api, "missing-handler")
	if run.code != 1 || !reflect.DeepEqual(api.initErrors, []string{"handler primes: the package has no handler"}) || api.requests["next"] != 0 {
		t.Fatalf("exit %d, init errors %q, %d next", run.code, api.initErrors, api.requests["next"])
	}
}

func TestReplica_AProtocolVersionItDoesNotSpeakIsAnInitError(t *testing.T) {
	api := newFakeRuntimeAPI(t, ranges(1), 1)
	run := runReplica(t, api, "serve-busy", "PONTOON_REPLICA_PROTOCOL=2")
	if run.code != 1 || len(api.initErrors) != 1 || !strings.Contains(api.initErrors[0], "protocol 1") || api.requests["next"] != 0 {
		t.Fatalf("exit %d, init errors %q", run.code, api.initErrors)
	}
}

func TestReplica_5xxAnswersAreRetriedAndEveryResultArrivesOnce(t *testing.T) {
	api := newFakeRuntimeAPI(t, ranges(4), 1)
	api.configure(func() { api.failures = map[string]int{"next": 2, "results": 2} })
	run := runReplica(t, api, "serve-busy")
	posted := 0
	for _, post := range api.resultsPosts {
		posted += len(post)
	}
	if run.code != 0 || len(api.violations) > 0 || len(api.results) != 4 || posted != 4 || api.requests["results"] != len(api.resultsPosts)+2 {
		t.Fatalf("exit %d, violations %v, %d results, %d posted in %d requests: %s", run.code, api.violations, len(api.results), posted, api.requests["results"], run.stderr)
	}
}

func TestReplica_ATokenTheAPIRefusesMakesTheReplicaExitNonZero(t *testing.T) {
	api := newFakeRuntimeAPI(t, ranges(1), 1)
	run := runReplica(t, api, "serve-busy", "PONTOON_REPLICA_TOKEN=wrong")
	if run.code == 0 || !strings.Contains(run.stderr, "401") || len(api.results) != 0 {
		t.Fatalf("exit %d, %d results: %s", run.code, len(api.results), run.stderr)
	}
}

func TestReplica_AProgramStartedAsAReplicaGetsNoInputAndFailsBeforeAskingForWork(t *testing.T) {
	api := newFakeRuntimeAPI(t, ranges(1), 1)
	run := runReplica(t, api, "watcher-done")
	if run.code == 0 || api.requests["next"] != 0 || len(api.results) != 0 || len(api.initErrors) != 1 || !strings.Contains(api.initErrors[0], "a program runs on demand only") {
		t.Fatalf("exit %d, %d next, init errors %q: %s", run.code, api.requests["next"], api.initErrors, run.stderr)
	}
}
