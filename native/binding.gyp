{
  "targets": [
    {
      "target_name": "muster_proc",
      "sources": ["muster_proc.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
