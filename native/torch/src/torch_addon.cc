// primed's libtorch addon: the tensor store and the forward kernels of the `torch` tfjs backend
// (src/backend/torch). Every tensor lives in a slot table as an at::Tensor on the chosen device;
// JavaScript holds slot ids (plain numbers) and frees them explicitly. Kernels are ATen calls;
// tfjs-core supplies the gradients, so only forward ops are needed here.
//
// Conventions: tfjs dtypes are float32 (code 0), int32 (1) and bool (2). Any int64 or float64
// that ATen returns (sums of ints, argmax, ...) is narrowed back, so a slot always holds one of
// those three. Errors are thrown to JavaScript with ATen's message (no backtrace).
#include <node_api.h>
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <dlfcn.h>
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

// ---------------------------------------------------------------- slot table and accounting
std::vector<at::Tensor> g_slots;
std::vector<int32_t> g_free;
std::unordered_map<const void*, std::pair<int64_t, int64_t>> g_storages;  // storage -> (refs, bytes)
int64_t g_bytes = 0;
int64_t g_live = 0;
at::Device g_device(at::kCPU);

at::Tensor Normalize(at::Tensor t) {
  switch (t.scalar_type()) {
    case at::kFloat:
    case at::kInt:
    case at::kBool:
      return t;
    case at::kLong:
    case at::kShort:
    case at::kByte:
    case at::kChar:
      return t.to(at::kInt);
    default:
      return t.to(at::kFloat);
  }
}

int32_t Put(at::Tensor t) {
  t = Normalize(std::move(t));
  const void* key = t.storage().unsafeGetStorageImpl();
  auto& entry = g_storages[key];
  if (entry.first++ == 0) {
    entry.second = (int64_t)t.storage().nbytes();
    g_bytes += entry.second;
  }
  g_live++;
  if (!g_free.empty()) {
    int32_t id = g_free.back();
    g_free.pop_back();
    g_slots[id] = std::move(t);
    return id;
  }
  g_slots.push_back(std::move(t));
  return (int32_t)g_slots.size() - 1;
}

void Free(int32_t id) {
  if (id < 0 || id >= (int32_t)g_slots.size() || !g_slots[id].defined()) return;
  const void* key = g_slots[id].storage().unsafeGetStorageImpl();
  auto it = g_storages.find(key);
  if (it != g_storages.end() && --it->second.first == 0) {
    g_bytes -= it->second.second;
    g_storages.erase(it);
  }
  g_slots[id] = at::Tensor();
  g_free.push_back(id);
  g_live--;
}

struct JsError {
  std::string message;
};

const at::Tensor& Get(int32_t id) {
  if (id < 0 || id >= (int32_t)g_slots.size() || !g_slots[id].defined()) {
    throw JsError{"torch backend: tensor slot " + std::to_string(id) + " is not live (used after dispose?)"};
  }
  return g_slots[id];
}

// A live slot's tensor, for the few kernels that write in place (after their own checks).
at::Tensor& Mutable(int32_t id) {
  Get(id);
  return g_slots[id];
}

at::ScalarType DType(int32_t code) {
  switch (code) {
    case 0: return at::kFloat;
    case 1: return at::kInt;
    case 2: return at::kBool;
  }
  throw JsError{"torch backend: unknown dtype code " + std::to_string(code)};
}

// ---------------------------------------------------------------- N-API argument helpers
struct Args {
  napi_env env;
  size_t argc = 12;
  napi_value argv[12];
  Args(napi_env e, napi_callback_info info) : env(e) {
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  }
  napi_value at(size_t k) const {
    if (k >= argc) throw JsError{"torch backend: missing argument " + std::to_string(k)};
    return argv[k];
  }
  int32_t i32(size_t k) const {
    int32_t v = 0;
    if (napi_get_value_int32(env, at(k), &v) != napi_ok) throw JsError{"torch backend: argument " + std::to_string(k) + " must be a number"};
    return v;
  }
  int64_t i64(size_t k) const {
    int64_t v = 0;
    if (napi_get_value_int64(env, at(k), &v) != napi_ok) throw JsError{"torch backend: argument " + std::to_string(k) + " must be a number"};
    return v;
  }
  double f64(size_t k) const {
    double v = 0;
    if (napi_get_value_double(env, at(k), &v) != napi_ok) throw JsError{"torch backend: argument " + std::to_string(k) + " must be a number"};
    return v;
  }
  bool flag(size_t k) const {
    bool v = false;
    if (napi_get_value_bool(env, at(k), &v) != napi_ok) throw JsError{"torch backend: argument " + std::to_string(k) + " must be a boolean"};
    return v;
  }
  std::string str(size_t k) const {
    size_t len = 0;
    if (napi_get_value_string_utf8(env, at(k), nullptr, 0, &len) != napi_ok) throw JsError{"torch backend: argument " + std::to_string(k) + " must be a string"};
    std::string s(len, '\0');
    napi_get_value_string_utf8(env, at(k), s.data(), len + 1, &len);
    return s;
  }
  std::vector<int64_t> ints(size_t k) const {
    napi_value arr = at(k);
    uint32_t n = 0;
    if (napi_get_array_length(env, arr, &n) != napi_ok) throw JsError{"torch backend: argument " + std::to_string(k) + " must be an array"};
    std::vector<int64_t> out(n);
    for (uint32_t i = 0; i < n; i++) {
      napi_value e;
      napi_get_element(env, arr, i, &e);
      double d = 0;
      napi_get_value_double(env, e, &d);
      out[i] = (int64_t)d;
    }
    return out;
  }
  const at::Tensor& tensor(size_t k) const { return Get(i32(k)); }
  std::vector<at::Tensor> tensors(size_t k) const {
    std::vector<int64_t> ids = ints(k);
    std::vector<at::Tensor> out;
    out.reserve(ids.size());
    for (int64_t id : ids) out.push_back(Get((int32_t)id));
    return out;
  }
};

napi_value Num(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

// Every kernel's outputs are described in a scratch Int32Array shared with JavaScript (set by
// setScratch), so the caller learns dtypes and shapes without another call:
// [count, then per output: id, dtype code, rank, dims...].
int32_t* g_scratch = nullptr;
size_t g_scratch_len = 0;
napi_ref g_scratch_ref = nullptr;

int32_t DTypeCode(at::ScalarType t) {
  return t == at::kFloat ? 0 : t == at::kInt ? 1 : 2;
}

napi_value Ids(napi_env env, const std::vector<at::Tensor>& ts) {
  size_t pos = 1;
  if (g_scratch) g_scratch[0] = (int32_t)ts.size();
  int32_t first = -1;
  for (const at::Tensor& t : ts) {
    const int32_t id = Put(t);
    if (first < 0) first = id;
    const at::Tensor& held = g_slots[id];
    if (g_scratch && pos + 3 + (size_t)held.dim() <= g_scratch_len) {
      g_scratch[pos++] = id;
      g_scratch[pos++] = DTypeCode(held.scalar_type());
      g_scratch[pos++] = (int32_t)held.dim();
      for (int64_t d = 0; d < held.dim(); d++) g_scratch[pos++] = (int32_t)held.size(d);
    } else if (g_scratch) {
      throw JsError{"torch backend: output description does not fit the scratch buffer"};
    }
  }
  napi_value out;
  napi_create_int32(env, first, &out);
  return out;
}

napi_value Id(napi_env env, at::Tensor t) {
  return Ids(env, {std::move(t)});
}

napi_value Str(napi_env env, const std::string& s) {
  napi_value out;
  napi_create_string_utf8(env, s.c_str(), s.size(), &out);
  return out;
}

template <typename F>
napi_value Guarded(napi_env env, F&& body) {
  try {
    c10::InferenceMode guard;
    return body();
  } catch (const JsError& e) {
    napi_throw_error(env, nullptr, e.message.c_str());
  } catch (const c10::Error& e) {
    napi_throw_error(env, nullptr, (std::string("libtorch: ") + e.what_without_backtrace()).c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, (std::string("libtorch: ") + e.what()).c_str());
  }
  return nullptr;
}

#define KERNEL(name) napi_value name(napi_env env, napi_callback_info info) { return Guarded(env, [&]() -> napi_value { Args a(env, info);
#define END_KERNEL });}

// ---------------------------------------------------------------- setup, transfer, memory
// Sets OpenBLAS's thread count when libtorch runs on it (Debian's build calls the system BLAS,
// whose own thread pool at::set_num_threads does not reach). Returns whether it was found.
bool SetBlasThreads(int n) {
  using Fn = void (*)(int);
  Fn f = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  for (const char* lib : {"libblas.so.3", "libopenblas.so.0"}) {
    if (f) break;
    if (void* h = dlopen(lib, RTLD_LAZY | RTLD_NOLOAD)) f = reinterpret_cast<Fn>(dlsym(h, "openblas_set_num_threads"));
  }
  if (f) f(n);
  return f != nullptr;
}

// init(device, threads, tf32) -> { libtorch, device, cuda, gpus, cudaVersion, cudnnVersion, threads, tf32 }
KERNEL(Init)
  const std::string device = a.str(0);
  const int32_t threads = a.i32(1);
  const bool tf32 = a.flag(2);
  at::Device d(device);
  if (d.is_cuda()) {
    if (!torch::cuda::is_available()) throw JsError{"torch backend: device " + device + " requested, but libtorch sees no CUDA device (built without CUDA, or no driver)"};
    const int64_t n = (int64_t)torch::cuda::device_count();
    if (d.has_index() && d.index() >= n) throw JsError{"torch backend: device " + device + " requested, but only " + std::to_string(n) + " CUDA device(s) exist"};
    if (!d.has_index()) d = at::Device(at::kCUDA, 0);
  } else if (!d.is_cpu() && !d.is_mps()) {
    throw JsError{"torch backend: unsupported device " + device + " (cpu, cuda, cuda:N or mps)"};
  }
  g_device = d;
  if (threads > 0) {
    at::set_num_threads(threads);
    // Debian's libtorch calls the system BLAS (OpenBLAS), whose thread pool at::set_num_threads
    // does not reach: without this a "1-thread" run multiplies on every core.
    SetBlasThreads(threads);
  }
  at::globalContext().setAllowTF32CuBLAS(tf32);
  at::globalContext().setAllowTF32CuDNN(tf32);
  napi_value out;
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "libtorch", Str(env, TORCH_VERSION));
  napi_set_named_property(env, out, "device", Str(env, g_device.str()));
  bool cuda = torch::cuda::is_available();
  napi_value b;
  napi_get_boolean(env, cuda, &b);
  napi_set_named_property(env, out, "cuda", b);
  napi_set_named_property(env, out, "gpus", Num(env, cuda ? (double)torch::cuda::device_count() : 0));
  napi_set_named_property(env, out, "cudaVersion", Num(env, cuda ? (double)at::detail::getCUDAHooks().versionCUDART() : 0));
  napi_set_named_property(env, out, "threads", Num(env, at::get_num_threads()));
  napi_value t;
  napi_get_boolean(env, at::globalContext().allowTF32CuBLAS(), &t);
  napi_set_named_property(env, out, "tf32", t);
  return out;
END_KERNEL

// threads(n?) -> intra-op threads
KERNEL(Threads)
  if (a.argc >= 1) {
    napi_valuetype ty;
    napi_typeof(env, a.argv[0], &ty);
    if (ty == napi_number) {
      at::set_num_threads(a.i32(0));
      SetBlasThreads(a.i32(0));
    }
  }
  return Num(env, at::get_num_threads());
END_KERNEL

// fromArray(typedArray, shape, dtypeCode) -> id (copies the data to the device)
KERNEL(FromArray)
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_value buffer;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, a.at(0), &type, &length, &data, &buffer, &offset) != napi_ok) {
    throw JsError{"torch backend: write expects a typed array"};
  }
  const std::vector<int64_t> shape = a.ints(1);
  const at::ScalarType dt = DType(a.i32(2));
  int64_t numel = 1;
  for (int64_t s : shape) numel *= s;
  at::ScalarType src;
  switch (type) {
    case napi_float32_array: src = at::kFloat; break;
    case napi_int32_array: src = at::kInt; break;
    case napi_uint8_array: src = at::kByte; break;
    case napi_int8_array: src = at::kChar; break;
    case napi_float64_array: src = at::kDouble; break;
    default: throw JsError{"torch backend: unsupported typed array for write"};
  }
  if ((int64_t)length != numel) {
    throw JsError{"torch backend: write of " + std::to_string(length) + " values into a tensor of " + std::to_string(numel)};
  }
  if (numel == 0) return Id(env, at::empty(shape, at::TensorOptions().dtype(dt).device(g_device)));
  at::Tensor host = at::from_blob(data, shape, at::TensorOptions().dtype(src));
  if (src == at::kByte && dt == at::kBool) host = host.ne(0);
  if (g_device.is_cuda()) {
    // Through pinned memory (PyTorch's caching host allocator) and an asynchronous copy: a
    // blocking copy from pageable memory would wait for every queued kernel, and tfjs uploads
    // a small tensor for every scalar operand.
    at::Tensor pinned = at::empty(shape, at::TensorOptions().dtype(host.scalar_type()).pinned_memory(true));
    pinned.copy_(host);
    return Id(env, pinned.to(g_device, dt, /*non_blocking=*/true, /*copy=*/true));
  }
  at::Tensor t = host.to(g_device, dt, /*non_blocking=*/false, /*copy=*/true);
  return Id(env, t);
END_KERNEL

// toArray(id) -> Float32Array | Int32Array | Uint8Array (a copy on the host)
KERNEL(ToArray)
  at::Tensor t = a.tensor(0).to(at::kCPU).contiguous();
  const size_t bytes = t.numel() * t.element_size();
  void* dst = nullptr;
  napi_value ab;
  napi_create_arraybuffer(env, bytes, &dst, &ab);
  if (bytes) std::memcpy(dst, t.data_ptr(), bytes);
  napi_typedarray_type type = napi_float32_array;
  if (t.scalar_type() == at::kInt) type = napi_int32_array;
  else if (t.scalar_type() == at::kBool) type = napi_uint8_array;
  napi_value out;
  napi_create_typedarray(env, type, t.numel(), ab, 0, &out);
  return out;
END_KERNEL

// setScratch(Int32Array): the buffer kernels describe their outputs in (kept alive here)
KERNEL(SetScratch)
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_value buffer;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, a.at(0), &type, &length, &data, &buffer, &offset) != napi_ok || type != napi_int32_array) {
    throw JsError{"torch backend: setScratch expects an Int32Array"};
  }
  if (g_scratch_ref) napi_delete_reference(env, g_scratch_ref);
  napi_create_reference(env, a.at(0), 1, &g_scratch_ref);
  g_scratch = static_cast<int32_t*>(data);
  g_scratch_len = length;
  return nullptr;
END_KERNEL

KERNEL(FreeSlot)
  Free(a.i32(0));
  return nullptr;
END_KERNEL

// stats() -> [live tensors, bytes of distinct storages they hold]
KERNEL(Stats)
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, Num(env, (double)g_live));
  napi_set_element(env, arr, 1, Num(env, (double)g_bytes));
  return arr;
END_KERNEL

KERNEL(Sync)
  if (g_device.is_cuda()) torch::cuda::synchronize(g_device.index());
  return nullptr;
END_KERNEL

KERNEL(Shape)
  const at::Tensor& t = a.tensor(0);
  napi_value arr;
  napi_create_array_with_length(env, t.dim(), &arr);
  for (int64_t i = 0; i < t.dim(); i++) napi_set_element(env, arr, (uint32_t)i, Num(env, (double)t.size(i)));
  return arr;
END_KERNEL

// ---------------------------------------------------------------- elementwise
enum Unary {
  U_ABS, U_NEG, U_EXP, U_EXPM1, U_LOG, U_LOG1P, U_SQRT, U_RSQRT, U_SQUARE, U_RECIPROCAL, U_SIGMOID, U_TANH,
  U_ERF, U_RELU, U_RELU6, U_ELU, U_SELU, U_SOFTPLUS, U_SIGN, U_FLOOR, U_CEIL, U_ROUND, U_SIN, U_COS, U_TAN,
  U_ASIN, U_ACOS, U_ATAN, U_SINH, U_COSH, U_ASINH, U_ACOSH, U_ATANH, U_LOGICAL_NOT, U_IS_NAN, U_IS_INF,
  U_IS_FINITE, U_ZEROS_LIKE, U_ONES_LIKE, U_CLONE, U_ERFC_UNUSED
};

KERNEL(UnaryOp)
  const int32_t op = a.i32(0);
  const at::Tensor& x = a.tensor(1);
  at::Tensor y;
  switch (op) {
    case U_ABS: y = at::abs(x); break;
    case U_NEG: y = at::neg(x); break;
    case U_EXP: y = at::exp(x); break;
    case U_EXPM1: y = at::expm1(x); break;
    case U_LOG: y = at::log(x); break;
    case U_LOG1P: y = at::log1p(x); break;
    case U_SQRT: y = at::sqrt(x); break;
    case U_RSQRT: y = at::rsqrt(x); break;
    case U_SQUARE: y = at::mul(x, x); break;
    case U_RECIPROCAL: y = at::reciprocal(x); break;
    case U_SIGMOID: y = at::sigmoid(x); break;
    case U_TANH: y = at::tanh(x); break;
    case U_ERF: y = at::erf(x); break;
    case U_RELU: y = at::relu(x); break;
    case U_RELU6: y = at::clamp(x, 0, 6); break;
    case U_ELU: y = at::elu(x); break;
    case U_SELU: y = at::selu(x); break;
    case U_SOFTPLUS: y = at::softplus(x); break;
    case U_SIGN: y = at::sign(x); break;
    case U_FLOOR: y = at::floor(x); break;
    case U_CEIL: y = at::ceil(x); break;
    case U_ROUND: y = at::round(x); break;
    case U_SIN: y = at::sin(x); break;
    case U_COS: y = at::cos(x); break;
    case U_TAN: y = at::tan(x); break;
    case U_ASIN: y = at::asin(x); break;
    case U_ACOS: y = at::acos(x); break;
    case U_ATAN: y = at::atan(x); break;
    case U_SINH: y = at::sinh(x); break;
    case U_COSH: y = at::cosh(x); break;
    case U_ASINH: y = at::asinh(x); break;
    case U_ACOSH: y = at::acosh(x); break;
    case U_ATANH: y = at::atanh(x); break;
    case U_LOGICAL_NOT: y = at::logical_not(x); break;
    case U_IS_NAN: y = at::isnan(x); break;
    case U_IS_INF: y = at::isinf(x); break;
    case U_IS_FINITE: y = at::isfinite(x); break;
    case U_ZEROS_LIKE: y = at::zeros_like(x, at::MemoryFormat::Contiguous); break;
    case U_ONES_LIKE: y = at::ones_like(x, at::MemoryFormat::Contiguous); break;
    case U_CLONE: y = x.clone(at::MemoryFormat::Contiguous); break;
    default: throw JsError{"torch backend: unknown unary op " + std::to_string(op)};
  }
  return Id(env, y);
END_KERNEL

enum UnaryScalar { S_LEAKY_RELU, S_STEP, S_CLIP, S_ELU_ALPHA };

// unaryScalar(op, x, s1, s2)
KERNEL(UnaryScalarOp)
  const int32_t op = a.i32(0);
  const at::Tensor& x = a.tensor(1);
  const double s1 = a.f64(2), s2 = a.f64(3);
  at::Tensor y;
  switch (op) {
    case S_LEAKY_RELU: y = at::leaky_relu(x, s1); break;
    case S_STEP: {
      // tfjs Step: 1 where x > 0, alpha elsewhere, NaN stays NaN.
      at::Tensor one = at::ones_like(x), alpha = at::full_like(x, s1);
      y = at::where(at::isnan(x), x, at::where(x > 0, one, alpha));
      break;
    }
    case S_CLIP: y = at::clamp(x, s1, s2); break;
    default: throw JsError{"torch backend: unknown scalar op " + std::to_string(op)};
  }
  return Id(env, y);
END_KERNEL

enum Binary {
  B_ADD, B_SUB, B_MUL, B_REAL_DIV, B_FLOOR_DIV, B_POW, B_MAXIMUM, B_MINIMUM, B_SQUARED_DIFFERENCE, B_MOD, B_ATAN2,
  B_EQUAL, B_NOT_EQUAL, B_LESS, B_LESS_EQUAL, B_GREATER, B_GREATER_EQUAL, B_LOGICAL_AND, B_LOGICAL_OR, B_LOGICAL_XOR
};

KERNEL(BinaryOp)
  const int32_t op = a.i32(0);
  const at::Tensor& x = a.tensor(1);
  const at::Tensor& y = a.tensor(2);
  at::Tensor z;
  switch (op) {
    case B_ADD: z = at::add(x, y); break;
    case B_SUB: z = at::sub(x, y); break;
    case B_MUL: z = at::mul(x, y); break;
    case B_REAL_DIV: z = at::div(x, y); break;
    case B_FLOOR_DIV: z = at::div(x, y, "floor"); break;
    case B_POW: z = at::pow(x, y); break;
    case B_MAXIMUM: z = at::maximum(x, y); break;
    case B_MINIMUM: z = at::minimum(x, y); break;
    case B_SQUARED_DIFFERENCE: { at::Tensor d = at::sub(x, y); z = at::mul(d, d); break; }
    case B_MOD: z = at::remainder(x, y); break;
    case B_ATAN2: z = at::atan2(x, y); break;
    case B_EQUAL: z = at::eq(x, y); break;
    case B_NOT_EQUAL: z = at::ne(x, y); break;
    case B_LESS: z = at::lt(x, y); break;
    case B_LESS_EQUAL: z = at::le(x, y); break;
    case B_GREATER: z = at::gt(x, y); break;
    case B_GREATER_EQUAL: z = at::ge(x, y); break;
    case B_LOGICAL_AND: z = at::logical_and(x, y); break;
    case B_LOGICAL_OR: z = at::logical_or(x, y); break;
    case B_LOGICAL_XOR: z = at::logical_xor(x, y); break;
    default: throw JsError{"torch backend: unknown binary op " + std::to_string(op)};
  }
  return Id(env, z);
END_KERNEL

// addN([ids]) -> the sum
KERNEL(AddN)
  std::vector<at::Tensor> xs = a.tensors(0);
  if (xs.empty()) throw JsError{"torch backend: AddN of no tensors"};
  at::Tensor s = xs[0];
  for (size_t i = 1; i < xs.size(); i++) s = at::add(s, xs[i]);
  if (xs.size() == 1) s = s.clone();
  return Id(env, s);
END_KERNEL

// select(cond, t, e)
KERNEL(Select)
  return Id(env, at::where(a.tensor(0), a.tensor(1), a.tensor(2)));
END_KERNEL

KERNEL(Cast)
  return Id(env, a.tensor(0).to(DType(a.i32(1))));
END_KERNEL

// ---------------------------------------------------------------- reductions
enum Reduce { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_ANY, R_ALL };

// reduce(op, x, axes, keepDims); axes are non-negative and non-empty
KERNEL(ReduceOp)
  const int32_t op = a.i32(0);
  at::Tensor x = a.tensor(1);
  const std::vector<int64_t> axes = a.ints(2);
  const bool keep = a.flag(3);
  at::Tensor y;
  switch (op) {
    case R_SUM: y = x.scalar_type() == at::kFloat ? at::sum(x, axes, keep) : at::sum(x.to(at::kInt), axes, keep, at::kInt); break;
    case R_MEAN: y = at::mean(x.to(at::kFloat), axes, keep); break;
    case R_MAX: y = at::amax(x, axes, keep); break;
    case R_MIN: y = at::amin(x, axes, keep); break;
    case R_PROD:
    case R_ANY:
    case R_ALL: {
      // One axis at a time, highest first so the remaining axis numbers stay valid.
      std::vector<int64_t> sorted(axes);
      std::sort(sorted.rbegin(), sorted.rend());
      y = op == R_PROD ? x : x.to(at::kBool);
      for (int64_t ax : sorted) {
        if (op == R_PROD) y = at::prod(y, ax, keep, y.scalar_type() == at::kFloat ? at::kFloat : at::kInt);
        else if (op == R_ANY) y = at::any(y, ax, keep);
        else y = at::all(y, ax, keep);
      }
      break;
    }
    default: throw JsError{"torch backend: unknown reduction " + std::to_string(op)};
  }
  return Id(env, y);
END_KERNEL

// argReduce(isMax, x, axis)
KERNEL(ArgReduce)
  const bool isMax = a.flag(0);
  const at::Tensor& x = a.tensor(1);
  const int64_t axis = a.i64(2);
  return Id(env, (isMax ? at::argmax(x, axis) : at::argmin(x, axis)).to(at::kInt));
END_KERNEL

// cumsum(x, axis, exclusive, reverse)
KERNEL(Cumsum)
  at::Tensor x = a.tensor(0);
  const int64_t axis = a.i64(1);
  const bool exclusive = a.flag(2), reverse = a.flag(3);
  if (reverse) x = at::flip(x, {axis});
  at::Tensor y = x.scalar_type() == at::kFloat ? at::cumsum(x, axis) : at::cumsum(x, axis, at::kInt);
  if (exclusive) y = at::sub(y, x);
  if (reverse) y = at::flip(y, {axis});
  return Id(env, y);
END_KERNEL

// softmax(x, dim, log)
KERNEL(Softmax)
  const at::Tensor& x = a.tensor(0);
  const int64_t dim = a.i64(1);
  return Id(env, a.flag(2) ? at::log_softmax(x, dim) : at::softmax(x, dim));
END_KERNEL

// softmaxBackward(dy, y, dim): the gradient of softmax from its output (one fused kernel)
KERNEL(SoftmaxBwd)
  const at::Tensor& y = a.tensor(1);
  return Id(env, at::_softmax_backward_data(a.tensor(0), y, a.i64(2), y.scalar_type()));
END_KERNEL

// topk(x, k, sorted) -> [values, indices]
KERNEL(TopK)
  auto r = at::topk(a.tensor(0), a.i64(1), -1, true, a.flag(2));
  return Ids(env, {std::get<0>(r), std::get<1>(r)});
END_KERNEL

// ---------------------------------------------------------------- linear algebra
// matmul(a, b, transposeA, transposeB) over the last two axes, batch axes broadcast
KERNEL(MatMul)
  at::Tensor x = a.tensor(0), y = a.tensor(1);
  if (a.flag(2)) x = x.transpose(-2, -1);
  if (a.flag(3)) y = y.transpose(-2, -1);
  return Id(env, at::matmul(x, y));
END_KERNEL

// ---------------------------------------------------------------- layout
KERNEL(Reshape)
  return Id(env, a.tensor(0).reshape(a.ints(1)));
END_KERNEL

KERNEL(Transpose)
  return Id(env, a.tensor(0).permute(a.ints(1)));
END_KERNEL

// slice(x, begin, size): sizes already resolved (no -1)
KERNEL(Slice)
  at::Tensor x = a.tensor(0);
  const std::vector<int64_t> begin = a.ints(1), size = a.ints(2);
  for (size_t d = 0; d < begin.size(); d++) {
    if (begin[d] != 0 || size[d] != x.size((int64_t)d)) x = x.narrow((int64_t)d, begin[d], size[d]);
  }
  return Id(env, x);
END_KERNEL

// stridedSlice(x, begin, end, strides): positive strides only (negative handled by the caller with flip)
KERNEL(StridedSlice)
  at::Tensor x = a.tensor(0);
  const std::vector<int64_t> begin = a.ints(1), end = a.ints(2), strides = a.ints(3);
  for (size_t d = 0; d < begin.size(); d++) {
    const int64_t len = std::max<int64_t>(0, end[d] - begin[d]);
    x = x.slice((int64_t)d, begin[d], begin[d] + len, strides[d]);
  }
  return Id(env, x);
END_KERNEL

KERNEL(Flip)
  return Id(env, at::flip(a.tensor(0), a.ints(1)));
END_KERNEL

KERNEL(Concat)
  return Id(env, at::cat(a.tensors(0), a.i64(1)));
END_KERNEL

KERNEL(Stack)
  return Id(env, at::stack(a.tensors(0), a.i64(1)));
END_KERNEL

KERNEL(Unstack)
  return Ids(env, at::unbind(a.tensor(0), a.i64(1)));
END_KERNEL

// split(x, sizes, axis) -> ids
KERNEL(Split)
  return Ids(env, at::split_with_sizes(a.tensor(0), a.ints(1), a.i64(2)));
END_KERNEL

KERNEL(Tile)
  return Id(env, a.tensor(0).repeat(a.ints(1)));
END_KERNEL

KERNEL(BroadcastTo)
  return Id(env, a.tensor(0).expand(a.ints(1)).contiguous());
END_KERNEL

// pad(x, torchPadList, value)
KERNEL(Pad)
  return Id(env, at::constant_pad_nd(a.tensor(0), a.ints(1), a.f64(2)));
END_KERNEL

// fill(shape, value, dtypeCode)
KERNEL(Fill)
  return Id(env, at::full(a.ints(0), a.f64(1), at::TensorOptions().dtype(DType(a.i32(2))).device(g_device)));
END_KERNEL

// range(start, step, count, dtypeCode)
KERNEL(Range)
  const double start = a.f64(0), step = a.f64(1);
  const int64_t count = a.i64(2);
  const at::ScalarType dt = DType(a.i32(3));
  at::Tensor r = at::arange(count, at::TensorOptions().dtype(at::kDouble).device(g_device)).mul(step).add(start);
  return Id(env, r.to(dt));
END_KERNEL

// ---------------------------------------------------------------- indexing
// gather(x, indices, batchSize, outerSize, dimSize, sliceSize, outShape)
KERNEL(Gather)
  const at::Tensor& x = a.tensor(0);
  at::Tensor idx = a.tensor(1).to(at::kLong);
  const int64_t batch = a.i64(2), outer = a.i64(3), dim = a.i64(4), slice = a.i64(5);
  const std::vector<int64_t> outShape = a.ints(6);
  at::Tensor xr = x.reshape({batch, outer, dim, slice});
  at::Tensor ir = idx.reshape({batch, -1});
  at::Tensor out;
  if (batch == 1) {
    out = at::index_select(xr, 2, ir.reshape({-1}));
  } else {
    const int64_t n = ir.size(1);
    at::Tensor ix = ir.reshape({batch, 1, n, 1}).expand({batch, outer, n, slice});
    out = at::gather(xr, 2, ix);
  }
  return Id(env, out.reshape(outShape));
END_KERNEL

// Flat slice numbers of [..., depth] indices with the given strides.
at::Tensor FlatIndex(const at::Tensor& indices, const std::vector<int64_t>& strides) {
  const int64_t depth = (int64_t)strides.size();
  at::Tensor idx = indices.to(at::kLong).reshape({-1, depth});
  at::Tensor s = at::tensor(strides, at::TensorOptions().dtype(at::kLong)).to(idx.device());
  return (idx * s).sum(1);
}

// gatherNd(x, indices, strides, sliceSize, outShape)
KERNEL(GatherNd)
  const at::Tensor& x = a.tensor(0);
  at::Tensor flatIdx = FlatIndex(a.tensor(1), a.ints(2));
  const int64_t slice = a.i64(3);
  return Id(env, at::index_select(x.reshape({-1, slice}), 0, flatIdx).reshape(a.ints(4)));
END_KERNEL

// scatterNd(indices[N, depth], updates, shape, strides[depth]): sums duplicates
KERNEL(ScatterNd)
  const at::Tensor& updates = a.tensor(1);
  const std::vector<int64_t> shape = a.ints(2), strides = a.ints(3);
  const int64_t depth = (int64_t)strides.size();
  int64_t outer = 1;
  for (int64_t d = 0; d < depth; d++) outer *= shape[d];
  int64_t slice = 1;
  for (size_t d = depth; d < shape.size(); d++) slice *= shape[d];
  at::Tensor flatIdx = FlatIndex(a.tensor(0), strides);
  at::Tensor out = at::zeros({outer, slice}, updates.options());
  out.index_add_(0, flatIdx, updates.reshape({-1, slice}));
  return Id(env, out.reshape(shape));
END_KERNEL

// unsortedSegmentSum(x, segmentIds, numSegments)
KERNEL(SegmentSum)
  const at::Tensor& x = a.tensor(0);
  at::Tensor ids = a.tensor(1).to(at::kLong).reshape({-1});
  const int64_t n = a.i64(2);
  const int64_t lead = ids.size(0);
  std::vector<int64_t> rest(x.sizes().begin() + a.tensor(1).dim(), x.sizes().end());
  std::vector<int64_t> outShape{n};
  outShape.insert(outShape.end(), rest.begin(), rest.end());
  at::Tensor flat = x.reshape({lead, -1});
  at::Tensor out = at::zeros({n, flat.size(1)}, x.options());
  at::Tensor valid = ids.ge(0).logical_and(ids.lt(n));
  out.index_add_(0, ids.masked_select(valid), flat.index({valid}));
  return Id(env, out.reshape(outShape));
END_KERNEL

// oneHot(indices, depth, on, off, dtypeCode): out-of-range indices give all-off rows
KERNEL(OneHot)
  at::Tensor idx = a.tensor(0).to(at::kLong);
  const int64_t depth = a.i64(1);
  const double on = a.f64(2), off = a.f64(3);
  const at::ScalarType dt = DType(a.i32(4));
  at::Tensor classes = at::arange(depth, at::TensorOptions().dtype(at::kLong).device(idx.device()));
  at::Tensor hit = idx.unsqueeze(-1).eq(classes);
  at::Tensor out = at::where(hit, at::scalar_tensor(on, at::TensorOptions().dtype(at::kDouble).device(idx.device())),
                             at::scalar_tensor(off, at::TensorOptions().dtype(at::kDouble).device(idx.device())));
  return Id(env, out.to(dt));
END_KERNEL

// resizeBilinear(x NHWC, newH, newW, alignCorners, halfPixelCenters): tfjs's coordinate rules
at::Tensor AxisWeights(int64_t in, int64_t out, bool align, bool half, at::Tensor& lo, at::Tensor& hi, const at::Device& dev) {
  const double scale = (align && out > 1) ? double(in - 1) / double(out - 1) : double(in) / double(out);
  at::Tensor o = at::arange(out, at::TensorOptions().dtype(at::kDouble).device(dev));
  at::Tensor src = half ? (o + 0.5) * scale - 0.5 : o * scale;
  if (half) src = at::clamp_min(src, 0.0);
  at::Tensor f = at::floor(src);
  lo = at::clamp_max(f, double(in - 1)).to(at::kLong);
  hi = at::clamp_max(f + 1, double(in - 1)).to(at::kLong);
  return (src - f).to(at::kFloat);
}

KERNEL(ResizeBilinear)
  at::Tensor x = a.tensor(0).to(at::kFloat);
  const int64_t nh = a.i64(1), nw = a.i64(2);
  const bool align = a.flag(3), half = a.flag(4);
  at::Tensor ylo, yhi, xlo, xhi;
  at::Tensor fy = AxisWeights(x.size(1), nh, align, half, ylo, yhi, x.device()).reshape({1, nh, 1, 1});
  at::Tensor fx = AxisWeights(x.size(2), nw, align, half, xlo, xhi, x.device()).reshape({1, 1, nw, 1});
  // Along the width first, then the height: tfjs's order of the two interpolations.
  at::Tensor left = at::index_select(x, 2, xlo), right = at::index_select(x, 2, xhi);
  at::Tensor cols = left + (right - left) * fx;
  at::Tensor top = at::index_select(cols, 1, ylo), bottom = at::index_select(cols, 1, yhi);
  return Id(env, top + (bottom - top) * fy);
END_KERNEL

// ---------------------------------------------------------------- fused kernels (optional, see src/backend/torch/fused.ts)
// layerNorm(x, weight, bias, eps) -> [y, mean, rstd]
KERNEL(LayerNormFwd)
  const at::Tensor& x = a.tensor(0);
  const at::Tensor& w = a.tensor(1);
  const at::Tensor& b = a.tensor(2);
  const double eps = a.f64(3);
  auto r = at::native_layer_norm(x, {x.size(-1)}, w, b, eps);
  return Ids(env, {std::get<0>(r), std::get<1>(r), std::get<2>(r)});
END_KERNEL

// layerNormBwd(dy, x, mean, rstd, weight, bias) -> [dx, dweight, dbias]
KERNEL(LayerNormBwd)
  const at::Tensor& dy = a.tensor(0);
  const at::Tensor& x = a.tensor(1);
  auto r = at::native_layer_norm_backward(dy, x, {x.size(-1)}, a.tensor(2), a.tensor(3), a.tensor(4), a.tensor(5), {true, true, true});
  return Ids(env, {std::get<0>(r), std::get<1>(r), std::get<2>(r)});
END_KERNEL

// gelu(x, tanhApprox) and its backward
KERNEL(GeluFwd)
  return Id(env, at::gelu(a.tensor(0), a.flag(1) ? "tanh" : "none"));
END_KERNEL

KERNEL(GeluBwd)
  return Id(env, at::gelu_backward(a.tensor(0), a.tensor(1), a.flag(2) ? "tanh" : "none"));
END_KERNEL

// linear(x, weight[out,in], bias?) = x @ weightᵀ + bias over the last axis
KERNEL(Linear)
  const at::Tensor& x = a.tensor(0);
  const at::Tensor& w = a.tensor(1);
  const int32_t bid = a.i32(2);
  return Id(env, bid < 0 ? at::linear(x, w) : at::linear(x, w, Get(bid)));
END_KERNEL

// adamw(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step) -> [param, m, v]: one
// decoupled-weight-decay Adam step in PyTorch's order of operations (torch.optim.AdamW, single
// tensor), on fresh tensors (tfjs tensors are immutable).
KERNEL(AdamW)
  const at::Tensor& p = a.tensor(0);
  const at::Tensor& g = a.tensor(1);
  const at::Tensor& m = a.tensor(2);
  const at::Tensor& v = a.tensor(3);
  const double lr = a.f64(4), b1 = a.f64(5), b2 = a.f64(6), eps = a.f64(7), wd = a.f64(8);
  const double step = a.f64(9);
  at::Tensor pn = wd > 0 ? p.mul(1 - lr * wd) : p.clone();
  at::Tensor mn = m.mul(b1).add_(g, 1 - b1);
  at::Tensor vn = v.mul(b2).addcmul_(g, g, 1 - b2);
  const double bc1 = 1 - std::pow(b1, step);
  const double bc2Sqrt = std::sqrt(1 - std::pow(b2, step));
  at::Tensor denom = vn.sqrt().div_(bc2Sqrt).add_(eps);
  pn.addcdiv_(mn, denom, -lr / bc1);
  return Ids(env, {pn, mn, vn});
END_KERNEL

// dfg(grad, param, start, lambda) -> [gradient, value]: the DFG penalty λ·Σ g²(θ−θ₀)² and its
// gradient 2λ·g²(θ−θ₀) with g held fixed (src/methods/dfg.ts).
KERNEL(Dfg)
  const at::Tensor& g = a.tensor(0);
  const at::Tensor& p = a.tensor(1);
  const at::Tensor& s0 = a.tensor(2);
  const double lambda = a.f64(3);
  at::Tensor w = g * g;
  at::Tensor diff = p - s0;
  at::Tensor wd = w * diff;
  return Ids(env, {wd * (2 * lambda), (wd * diff).sum() * lambda});
END_KERNEL

// adamwInPlace(param, grad, m, v, ...same scalars as adamw) -> bool: the same step written into
// param, m and v when nothing else can see their memory (the only handle on an unshared storage);
// false, touching nothing, otherwise. tfjs treats tensors as immutable, so the caller also checks
// that tfjs holds one reference to each. Saves three allocations of the model's size per step.
bool Exclusive(const at::Tensor& t) {
  return t.use_count() == 1 && t.storage().use_count() == 1 && t.is_contiguous() && t.storage_offset() == 0;
}

KERNEL(AdamWInPlace)
  at::Tensor& p = Mutable(a.i32(0));
  const at::Tensor& g = a.tensor(1);
  at::Tensor& m = Mutable(a.i32(2));
  at::Tensor& v = Mutable(a.i32(3));
  napi_value out;
  if (!Exclusive(p) || !Exclusive(m) || !Exclusive(v) || p.scalar_type() != at::kFloat) {
    napi_get_boolean(env, false, &out);
    return out;
  }
  const double lr = a.f64(4), b1 = a.f64(5), b2 = a.f64(6), eps = a.f64(7), wd = a.f64(8);
  const double step = a.f64(9);
  if (wd > 0) p.mul_(1 - lr * wd);
  m.mul_(b1).add_(g, 1 - b1);
  v.mul_(b2).addcmul_(g, g, 1 - b2);
  const double bc1 = 1 - std::pow(b1, step);
  const double bc2Sqrt = std::sqrt(1 - std::pow(b2, step));
  at::Tensor denom = v.sqrt().div_(bc2Sqrt).add_(eps);
  p.addcdiv_(m, denom, -lr / bc1);
  napi_get_boolean(env, true, &out);
  return out;
END_KERNEL

// ---------------------------------------------------------------- module
#define FN(js, c) {js, nullptr, c, nullptr, nullptr, nullptr, napi_default, nullptr}

napi_value ModuleInit(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      FN("init", Init), FN("threads", Threads), FN("fromArray", FromArray), FN("toArray", ToArray), FN("free", FreeSlot),
      FN("stats", Stats), FN("setScratch", SetScratch), FN("sync", Sync), FN("shape", Shape),
      FN("unary", UnaryOp), FN("unaryScalar", UnaryScalarOp), FN("binary", BinaryOp), FN("addN", AddN), FN("select", Select),
      FN("cast", Cast), FN("reduce", ReduceOp), FN("argReduce", ArgReduce), FN("cumsum", Cumsum), FN("softmax", Softmax), FN("softmaxBackward", SoftmaxBwd),
      FN("topk", TopK), FN("matmul", MatMul), FN("reshape", Reshape), FN("transpose", Transpose), FN("slice", Slice),
      FN("stridedSlice", StridedSlice), FN("flip", Flip), FN("concat", Concat), FN("stack", Stack), FN("unstack", Unstack),
      FN("split", Split), FN("tile", Tile), FN("broadcastTo", BroadcastTo), FN("pad", Pad), FN("fill", Fill),
      FN("range", Range), FN("gather", Gather), FN("gatherNd", GatherNd), FN("scatterNd", ScatterNd),
      FN("segmentSum", SegmentSum), FN("oneHot", OneHot), FN("resizeBilinear", ResizeBilinear),
      FN("layerNorm", LayerNormFwd), FN("layerNormBackward", LayerNormBwd), FN("gelu", GeluFwd), FN("geluBackward", GeluBwd),
      FN("linear", Linear), FN("adamw", AdamW), FN("adamwInPlace", AdamWInPlace), FN("dfg", Dfg),
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, ModuleInit)
