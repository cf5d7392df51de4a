# No-op program: its first statement is the line the benchmark times.
print("first line")
