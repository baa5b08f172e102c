{
  "targets": [
    {
      "target_name": "primed_native",
      "sources": ["src/matmul.cc"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu"],
      "cflags_cc": ["-O3", "-std=c++17"],
      "libraries": ["-lopenblas"]
    }
  ]
}
