using Microsoft.ML.OnnxRuntime;

namespace LightNet.Backends.OnnxRuntime;

/// <summary>
/// One ONNX Runtime execution provider: its LightNet name, the options it takes, how they map to ONNX Runtime's
/// C# API, and what a user must install when it is missing.
/// </summary>
internal sealed record OrtProvider(
    string Name,
    string Device,
    string[] Options,
    string[] Variants,
    string InstallHint,
    Action<SessionOptions, BackendSpec>? Append,
    Func<BackendSpec, IReadOnlyDictionary<string, string>> Describe)
{
    public static readonly OrtProvider[] All =
    [
        new("ort-cpu", "CPU", ["threads", "opt", "spin"], ["ort-cpu"],
            "The CPU provider is part of every ONNX Runtime package; reinstall Microsoft.ML.OnnxRuntime 1.31.1.",
            // spin=off: intra-op threads block as soon as they run out of work instead of spinning (ONNX Runtime's
            // session.intra_op.allow_spinning), which frees the cores for other work between runs.
            (so, s) =>
            {
                if (s.Values.ContainsKey("spin"))
                {
                    so.AddSessionConfigEntry("session.intra_op.allow_spinning", s.GetChoice("spin", "on", "on", "off") == "on" ? "1" : "0");
                }
            },
            s => new Dictionary<string, string>
            {
                ["threads"] = s.Values.ContainsKey("threads")
                    ? s.GetInt("threads", 1, min: 1).ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : "auto",
                ["opt"] = s.GetChoice("opt", "all", "none", "basic", "extended", "all"),
                ["spin"] = s.GetChoice("spin", "on", "on", "off"),
            }),
        new("ort-cuda", "CUDA", ["device", "conv-algo", "tf32", "fp16"], ["ort-cuda", "ort-cuda:fp16"],
            "It needs ONNX Runtime's GPU build, which an app adds with `dotnet add package Microsoft.ML.OnnxRuntime.Gpu.Linux --version 1.31.0` " +
            "(or .Gpu.Windows; LightNet then loads it in place of the CPU build), and an NVIDIA driver (libcuda.so.1), CUDA 13 (libcudart.so.13, " +
            "libcublas.so.13, libcublasLt.so.13, libcurand.so.10) and cuDNN 9 (libcudnn.so.9) on the library path.",
            (so, s) =>
            {
                using var cuda = new OrtCUDAProviderOptions();
                cuda.UpdateOptions(new Dictionary<string, string>
                {
                    ["device_id"] = s.GetInt("device", 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["cudnn_conv_algo_search"] = s.GetChoice("conv-algo", "exhaustive", "exhaustive", "heuristic", "default").ToUpperInvariant(),
                    ["use_tf32"] = s.GetChoice("tf32", "on", "on", "off") == "on" ? "1" : "0",
                });
                so.AppendExecutionProvider_CUDA(cuda);
            },
            s => new Dictionary<string, string>
            {
                ["device"] = s.GetInt("device", 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["conv-algo"] = s.GetChoice("conv-algo", "exhaustive", "exhaustive", "heuristic", "default"),
                ["tf32"] = s.GetChoice("tf32", "on", "on", "off"),
            }),
        new("ort-tensorrt", "CUDA", ["device", "fp16"], ["ort-tensorrt", "ort-tensorrt:fp16"],
            "It needs ONNX Runtime's GPU build (`dotnet add package Microsoft.ML.OnnxRuntime.Gpu.Linux --version 1.31.0`, or .Gpu.Windows) " +
            "and an NVIDIA driver, CUDA 13, cuDNN 9 and TensorRT 10 (libnvinfer.so.10, libnvonnxparser.so.10).",
            (so, s) =>
            {
                using var trt = new OrtTensorRTProviderOptions();
                trt.UpdateOptions(new Dictionary<string, string>
                {
                    ["device_id"] = s.GetInt("device", 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["trt_fp16_enable"] = s.Flags.Contains("fp16") ? "1" : "0",
                });
                so.AppendExecutionProvider_Tensorrt(trt);
            },
            s => new Dictionary<string, string> { ["device"] = s.GetInt("device", 0).ToString(System.Globalization.CultureInfo.InvariantCulture) }),
        new("ort-directml", "DirectML", ["device"], ["ort-directml"],
            "DirectML runs on Windows 10 or later only: add Microsoft.ML.OnnxRuntime.DirectML 1.31.x to the app; LightNet then loads it in place of the CPU build.",
            (so, s) => so.AppendExecutionProvider_DML(s.GetInt("device", 0)),
            s => new Dictionary<string, string> { ["device"] = s.GetInt("device", 0).ToString(System.Globalization.CultureInfo.InvariantCulture) }),
        new("ort-coreml", "CoreML", ["format", "units"], ["ort-coreml"],
            "CoreML runs on macOS and iOS only, where Microsoft.ML.OnnxRuntime includes it.",
            (so, s) => so.AppendExecutionProvider("CoreML", new Dictionary<string, string>
            {
                ["ModelFormat"] = s.GetChoice("format", "mlprogram", "mlprogram", "neuralnetwork") == "mlprogram" ? "MLProgram" : "NeuralNetwork",
                ["MLComputeUnits"] = s.GetChoice("units", "all", "all", "cpu", "cpu-gpu", "cpu-ane") switch
                {
                    "cpu" => "CPUOnly",
                    "cpu-gpu" => "CPUAndGPU",
                    "cpu-ane" => "CPUAndNeuralEngine",
                    _ => "ALL",
                },
            }),
            s => new Dictionary<string, string>
            {
                ["format"] = s.GetChoice("format", "mlprogram", "mlprogram", "neuralnetwork"),
                ["units"] = s.GetChoice("units", "all", "all", "cpu", "cpu-gpu", "cpu-ane"),
            }),
        new("ort-nnapi", "NNAPI", ["fp16", "cpu-disabled"], ["ort-nnapi", "ort-nnapi:fp16"],
            "NNAPI runs on Android only (API 27+), where Microsoft.ML.OnnxRuntime includes it.",
            (so, s) =>
            {
                NnapiFlags flags = NnapiFlags.NNAPI_FLAG_USE_NONE;
                if (s.Flags.Contains("fp16")) flags |= NnapiFlags.NNAPI_FLAG_USE_FP16;
                if (s.Flags.Contains("cpu-disabled")) flags |= NnapiFlags.NNAPI_FLAG_CPU_DISABLED;
                so.AppendExecutionProvider_Nnapi(flags);
            },
            s => new Dictionary<string, string> { ["cpu-disabled"] = s.Flags.Contains("cpu-disabled") ? "yes" : "no" }),
        new("ort-xnnpack", "CPU (XNNPACK)", ["threads"], ["ort-xnnpack"],
            "XNNPACK is built into ONNX Runtime's Android and iOS packages, not into the desktop Microsoft.ML.OnnxRuntime package; use a build with --use_xnnpack.",
            (so, s) => so.AppendExecutionProvider("XNNPACK", new Dictionary<string, string>
            {
                ["intra_op_num_threads"] = s.GetInt("threads", 1, min: 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            }),
            s => new Dictionary<string, string> { ["threads"] = s.GetInt("threads", 1, min: 1).ToString(System.Globalization.CultureInfo.InvariantCulture) }),
        new("ort-openvino", "OpenVINO", ["device"], ["ort-openvino"],
            "Add Intel.ML.OnnxRuntime.OpenVino (with the OpenVINO runtime) to the app; LightNet then loads it in place of the CPU build. It needs an Intel CPU, GPU or NPU.",
            (so, s) => so.AppendExecutionProvider("OpenVINO", new Dictionary<string, string>
            {
                ["device_type"] = s.GetChoice("device", "cpu", "cpu", "gpu", "npu", "auto").ToUpperInvariant(),
            }),
            s => new Dictionary<string, string> { ["device"] = s.GetChoice("device", "cpu", "cpu", "gpu", "npu", "auto") }),
        new("ort-qnn", "QNN", ["backend"], ["ort-qnn"],
            "Add Microsoft.ML.OnnxRuntime.QNN 1.31.x to the app on a Qualcomm Snapdragon device (Windows on ARM or Android) with the QNN SDK libraries.",
            (so, s) => so.AppendExecutionProvider("QNN", new Dictionary<string, string>
            {
                ["backend_path"] = (s.GetChoice("backend", "htp", "htp", "cpu", "gpu"), OperatingSystem.IsWindows()) switch
                {
                    ("htp", true) => "QnnHtp.dll",
                    ("cpu", true) => "QnnCpu.dll",
                    ("gpu", true) => "QnnGpu.dll",
                    ("htp", false) => "libQnnHtp.so",
                    ("cpu", false) => "libQnnCpu.so",
                    _ => "libQnnGpu.so",
                },
            }),
            s => new Dictionary<string, string> { ["backend"] = s.GetChoice("backend", "htp", "htp", "cpu", "gpu") }),
    ];
}
