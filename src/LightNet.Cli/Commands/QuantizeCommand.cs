using System.CommandLine;
using LightNet.Compression;

namespace LightNet.Cli.Commands;

/// <summary><c>lightnet quantize &lt;model&gt; --calib &lt;folder|synthetic:N&gt; [--method ...] [--per-tensor] [--exclude ...] -o out.onnx</c>.</summary>
internal static class QuantizeCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Argument<string>("model") { Description = InfoCommand.ModelHelp };
        var calib = new Option<string>("--calib")
        {
            HelpName = "folder|synthetic:N",
            Description = "Calibration data: a folder of images (preprocessed for the model), or synthetic:N for N random inputs in the model's input range.",
            Required = true,
        };
        var method = new Option<string>("--method") { HelpName = "minmax|percentile|entropy", Description = "How activation ranges are chosen (default minmax).", DefaultValueFactory = _ => "minmax" };
        var perTensor = new Option<bool>("--per-tensor") { Description = "One scale per weight tensor instead of per output channel." };
        var reduceRange = new Option<bool>("--reduce-range") { Description = "7-bit weights: on CPUs without VNNI (AVX2 machines) ONNX Runtime's u8×s8 kernel cannot saturate and cpu-simd takes its faster byte-pair kernels, both exact." };
        var int8 = new Option<bool>("--int8-activations") { Description = "INT8 symmetric activations (TensorRT/GPU) instead of UINT8 asymmetric." };
        var exclude = new Option<string[]>("--exclude") { HelpName = "op|node,...", Description = "Op types or node names to keep in float.", Arity = ArgumentArity.ZeroOrMore };
        var keepFirst = new Option<bool>("--keep-first") { Description = "Keep the first Conv/Gemm/MatMul in float." };
        var keepLast = new Option<bool>("--keep-last") { Description = "Keep the last Conv/Gemm/MatMul in float." };
        var preset = new Option<string?>("--preset") { HelpName = "torchvision|tensorflow|caffe|inception", Description = "Image preprocessing of the calibration images (default: the model's lightnet.preprocessing metadata, else torchvision)." };
        var maxSamples = new Option<int?>("--max-samples") { HelpName = "N", Description = "Use at most N calibration samples (default 512)." };
        var output = new Option<string>("--output", "-o") { HelpName = "out.onnx", Description = "The quantized model (written atomically; the folder must exist).", Required = true };
        var json = new Option<string?>("--json") { HelpName = "file", Description = "Also write the compression report as JSON." };
        var command = new Command("quantize", "Quantize a model to INT8 (QDQ, static, calibrated) and print what it costs: size, fidelity.")
        {
            model, calib, method, perTensor, reduceRange, int8, exclude, keepFirst, keepLast, preset, maxSamples, output, json,
        };
        command.SetAction(parse => CommandSupport.Execute(parse, context, () =>
        {
            List<string> excluded = CommandSupport.SplitList(parse.GetValue(exclude));
            var options = new QuantizationOptions
            {
                Method = ParseMethod(parse.GetValue(method)!),
                PerChannel = !parse.GetValue(perTensor),
                ReduceRange = parse.GetValue(reduceRange),
                ActivationType = parse.GetValue(int8) ? ActivationType.Int8Symmetric : ActivationType.UInt8Asymmetric,
                ExcludeOpTypes = excluded.Where(IsOpType).ToArray(),
                ExcludeNodes = excluded.Where(e => !IsOpType(e)).ToArray(),
                KeepFirstLayerFloat = parse.GetValue(keepFirst),
                KeepLastLayerFloat = parse.GetValue(keepLast),
                MaxCalibrationSamples = parse.GetValue(maxSamples) ?? QuantizationOptions.Default.MaxCalibrationSamples,
            };
            return Run(context, parse.GetValue(model)!, parse.GetValue(calib)!, parse.GetValue(preset), options, parse.GetValue(output)!, parse.GetValue(json));
        }));
        return command;
    }

    private static bool IsOpType(string name) => name.Length > 0 && char.IsUpper(name[0]) && QuantizationOptions.DefaultOpTypes.Contains(name);

    private static CalibrationMethod ParseMethod(string text) => text.Trim().ToLowerInvariant() switch
    {
        "minmax" => CalibrationMethod.MinMax,
        "percentile" => CalibrationMethod.Percentile,
        "entropy" => CalibrationMethod.Entropy,
        _ => throw new CliUsageException($"Unknown calibration method '{text}'; use minmax, percentile or entropy."),
    };

    private static int Run(CliContext context, string spec, string calib, string? preset, QuantizationOptions options, string output, string? json)
    {
        CompressionCli.CheckOutput(output);
        Model model = ModelSource.Load(spec, null, new Dictionary<string, long[]>());
        CalibrationData data = calib.StartsWith("synthetic", StringComparison.OrdinalIgnoreCase)
            ? CalibrationData.Synthetic(model, ParseCount(calib))
            : CalibrationData.FromImages(calib, preset is null ? null : Preprocessing.ImagePreprocessor.OptionsFor(model) with
            {
                // The preset's normalisation and colour order at the resolution and layout the model takes.
                ColorOrder = Preprocessing.PreprocessOptions.ForPreset(preset).ColorOrder,
                Scale = Preprocessing.PreprocessOptions.ForPreset(preset).Scale,
                Mean = Preprocessing.PreprocessOptions.ForPreset(preset).Mean,
                Std = Preprocessing.PreprocessOptions.ForPreset(preset).Std,
            });
        var progress = new Progress<CalibrationProgress>(p =>
        {
            if (p.Samples == 1 || p.Samples % 50 == 0) context.Stderr.WriteLine($"calibration pass {p.Pass}/{p.Passes}: {p.Samples}{(p.TotalSamples is int t ? "/" + t : "")} samples");
        });
        Model quantized = Quantizer.QuantizeStatic(model, data, options, progress, context.CancellationToken);
        if (data.Skipped.Count > 0)
        {
            context.Stderr.WriteLine($"warning: skipped {data.Skipped.Count} calibration images that failed to decode: {string.Join("; ", data.Skipped.Take(5))}");
        }

        if (!options.ReduceRange && NoVnni)
        {
            context.Stderr.WriteLine("note: this CPU has AVX2 but no VNNI: with --reduce-range (7-bit weights) ONNX Runtime's u8×s8 kernels cannot "
                + "saturate here and cpu-simd takes its faster byte-pair kernels (docs/performance.md, \"INT8 on cpu-simd\").");
        }

        // Fidelity on the calibration images themselves when there are any (in-sample), else on synthetic inputs.
        return CompressionCli.Finish(context, model, quantized, output, json, data.Count is int n && !calib.StartsWith("synthetic", StringComparison.OrdinalIgnoreCase) ? data : null);
    }

    // An x86 CPU whose INT8 kernels sum byte pairs in int16 (no AVX-VNNI; AVX-512 CPUs taken to have AVX512_VNNI).
    private static bool NoVnni => System.Runtime.Intrinsics.X86.Avx2.IsSupported && !System.Runtime.Intrinsics.X86.AvxVnni.IsSupported
        && !System.Runtime.Intrinsics.X86.Avx512F.IsSupported;

    private static int ParseCount(string calib)
    {
        int colon = calib.IndexOf(':');
        if (colon < 0) return 32;
        return int.TryParse(calib[(colon + 1)..], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : throw new CliUsageException($"'{calib}' is not synthetic:N with N a positive count.");
    }
}

/// <summary>What the compression commands share: the output check, saving and printing the report.</summary>
internal static class CompressionCli
{
    /// <summary>Refuses an output path whose folder does not exist, before any work is done.</summary>
    public static void CheckOutput(string output)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(output));
        if (folder is not null && !Directory.Exists(folder))
        {
            throw new LightNetException(ErrorCode.IOFailure, $"The output folder '{folder}' of '{output}' does not exist; create it first.");
        }
    }

    public static int Finish(CliContext context, Model original, Model compressed, string output, string? json, CalibrationData? inputs = null)
    {
        compressed.Save(output);
        CompressionReport report = CompressionReport.Measure(original, compressed, new CompressionMeasureOptions { Inputs = inputs },
            context.CancellationToken);
        context.Stdout.Write(CompressionMarkdown.Format(report));
        if (json is { Length: > 0 })
        {
            CompressionJson.Write(report, json);
        }

        context.Stdout.WriteLine($"Wrote {output}{(json is { Length: > 0 } ? ", " + json : "")}.");
        return CliApp.Success;
    }
}
