module pontoon.dev/sdk/go

go 1.21
