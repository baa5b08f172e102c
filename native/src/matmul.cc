// primed native kernels: batched float32 matrix products through CBLAS (OpenBLAS), called by
// src/backend/kernels on memory the tfjs backend owns (a wasm heap view or a cpu TypedArray).
#include <node_api.h>
#include <cblas.h>
#include <cstdint>
#include <string>

extern "C" void openblas_set_num_threads(int);
extern "C" int openblas_get_num_threads(void);

namespace {

bool Check(napi_env env, napi_status s, const char* what) {
  if (s == napi_ok) return true;
  napi_throw_error(env, nullptr, what);
  return false;
}

float* F32(napi_env env, napi_value v, size_t* length, const char* name) {
  napi_typedarray_type type;
  void* data = nullptr;
  napi_value buffer;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, v, &type, length, &data, &buffer, &offset) != napi_ok || type != napi_float32_array) {
    napi_throw_type_error(env, nullptr, (std::string(name) + " must be a Float32Array").c_str());
    return nullptr;
  }
  return static_cast<float*>(data);
}

int64_t Int(napi_env env, napi_value v) {
  int64_t out = 0;
  napi_get_value_int64(env, v, &out);
  return out;
}

// sgemmBatched(a, b, c, batch, m, n, k, transA, transB, strideA, strideB)
// c[i] = op(a[i]) @ op(b[i]), row-major; a stride of 0 broadcasts that operand over the batch.
napi_value SgemmBatched(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  if (!Check(env, napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr), "sgemmBatched: bad call")) return nullptr;
  if (argc != 11) {
    napi_throw_type_error(env, nullptr, "sgemmBatched: expected 11 arguments");
    return nullptr;
  }
  size_t la = 0, lb = 0, lc = 0;
  float* a = F32(env, argv[0], &la, "a");
  if (!a) return nullptr;
  float* b = F32(env, argv[1], &lb, "b");
  if (!b) return nullptr;
  float* c = F32(env, argv[2], &lc, "c");
  if (!c) return nullptr;
  const int64_t batch = Int(env, argv[3]), m = Int(env, argv[4]), n = Int(env, argv[5]), k = Int(env, argv[6]);
  bool ta = false, tb = false;
  napi_get_value_bool(env, argv[7], &ta);
  napi_get_value_bool(env, argv[8], &tb);
  const int64_t sa = Int(env, argv[9]), sb = Int(env, argv[10]);
  if (batch < 1 || m < 1 || n < 1 || k < 1 || (uint64_t)lc < (uint64_t)(batch * m * n) ||
      (uint64_t)la < (uint64_t)(sa * (batch - 1) + m * k) || (uint64_t)lb < (uint64_t)(sb * (batch - 1) + k * n)) {
    napi_throw_range_error(env, nullptr, "sgemmBatched: sizes do not match the arrays");
    return nullptr;
  }
  const int lda = ta ? (int)m : (int)k;
  const int ldb = tb ? (int)k : (int)n;
  for (int64_t i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, 1.0f,
                a + i * sa, lda, b + i * sb, ldb, 0.0f, c + i * m * n, (int)n);
  }
  return nullptr;
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc == 1) openblas_set_num_threads((int)Int(env, argv[0]));
  napi_value out;
  napi_create_int32(env, openblas_get_num_threads(), &out);
  return out;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sgemmBatched", nullptr, SgemmBatched, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"threads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
