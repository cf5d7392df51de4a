package pontoon_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	pontoon "pontoon.dev/sdk/go"
)

const (
	testTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	testTraceID     = "0af7651916cd43dd8448eb211c80319c"
)

func contextOf(t *testing.T, env map[string]string) *pontoon.Context {
	t.Helper()
	info, err := pontoon.InfoFromEnv(func(name string) string { return env[name] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := pontoon.NewContext(context.Background(), info, nil)
	t.Cleanup(cancel)
	return ctx
}

func TestTrace_ReadsTraceparentAndTracestateFromTheEnvironmentWithTheTraceID(t *testing.T) {
	ctx := contextOf(t, map[string]string{pontoon.EnvTraceparent: testTraceparent, pontoon.EnvTracestate: "vendor=abc"})
	if ctx.Traceparent != testTraceparent || ctx.Tracestate != "vendor=abc" || ctx.TraceID != testTraceID {
		t.Fatalf("%q %q %q", ctx.Traceparent, ctx.Tracestate, ctx.TraceID)
	}
}

func TestTrace_HasNoneWithoutATraceAndIgnoresAMalformedTraceparentWithItsTracestate(t *testing.T) {
	for _, env := range []map[string]string{
		{},
		{pontoon.EnvTraceparent: "00-xyz-01", pontoon.EnvTracestate: "a=1"},
		{pontoon.EnvTraceparent: "00-00000000000000000000000000000000-b7ad6b7169203331-01"},
	} {
		if ctx := contextOf(t, env); ctx.Traceparent != "" || ctx.Tracestate != "" || ctx.TraceID != "" {
			t.Fatalf("%v: %q %q %q", env, ctx.Traceparent, ctx.Tracestate, ctx.TraceID)
		}
	}
}

func TestTrace_AColdRunHandlerSeesItsTraceparent(t *testing.T) {
	run := runChild(t, "trace", "null", pontoon.EnvTraceparent+"="+testTraceparent)
	output, _ := run.file("output.json")
	var got map[string]string
	if run.code != 0 || json.Unmarshal([]byte(output), &got) != nil {
		t.Fatalf("exit %d, output %q: %s", run.code, output, run.stderr)
	}
	if want := map[string]string{"traceparent": testTraceparent, "tracestate": "", "traceId": testTraceID}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestTrace_AReplicaGivesEachInvocationTheTraceparentItCarriesAndNoneToOneWithout(t *testing.T) {
	api := newFakeRuntimeAPI(t, []string{"null", "null"}, 2)
	api.configure(func() { api.pending[0]["traceparent"], api.pending[0]["tracestate"] = testTraceparent, "vendor=abc" })
	run := runReplica(t, api, "trace")
	if run.code != 0 || len(api.violations) > 0 || len(api.results) != 2 {
		t.Fatalf("exit %d, violations %v, %d results: %s", run.code, api.violations, len(api.results), run.stderr)
	}
	want := map[string]map[string]any{
		"ex-0#1": {"traceparent": testTraceparent, "tracestate": "vendor=abc", "traceId": testTraceID},
		"ex-1#1": {"traceparent": "", "tracestate": "", "traceId": ""},
	}
	for id, result := range want {
		if got := api.results[id]["result"]; !reflect.DeepEqual(got, result) {
			t.Fatalf("%s: got %v, want %v", id, got, result)
		}
	}
}
