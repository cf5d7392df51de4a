module example.com/primes

go 1.21

require pontoon.dev/sdk/go v0.0.0

// The runtime points this at the SDK it deploys with; this line lets `go build` work by hand in the repo.
replace pontoon.dev/sdk/go => ../../sdk/go
