using LightNet.Analysis;
using LightNet.Backends;
using LightNet.Onnx;

namespace LightNet.Profiling;

/// <summary>Resolves a model's input shapes for a measurement and fills the input tensors.</summary>
internal static class MeasurementInputs
{
    public static Dictionary<string, TensorBuffer> Create(Model model, ProfileOptions options, out ModelInfo? info, List<string> warnings)
    {
        // A symbolic or unknown first dimension is the batch; every other open dimension needs a value from the caller.
        var dimensionValues = new Dictionary<string, long>(StringComparer.Ordinal);
        var shapes = new Dictionary<string, long[]>(options.InputShapes ?? new Dictionary<string, long[]>(), StringComparer.Ordinal);
        foreach (ValueInfo input in model.Graph.Inputs)
        {
            if (shapes.ContainsKey(input.Name) || input.Shape is not { Count: > 0 } shape || shape[0].IsFixed)
            {
                continue;
            }

            if (shape[0].Parameter is string p)
            {
                dimensionValues[p] = options.BatchSize;
            }
            else if (shape.Skip(1).All(d => d.IsFixed))
            {
                shapes[input.Name] = [options.BatchSize, .. shape.Skip(1).Select(d => d.Value!.Value)];
            }
        }

        var analysis = new AnalysisOptions { InputShapes = shapes, DimensionValues = dimensionValues };
        Dictionary<string, InferredValue> resolved = ModelAnalyzer.ResolveInputs(model.Graph, analysis);
        try
        {
            info = model.Analyze(analysis);
        }
        catch (LightNetException e) when (e.Code is ErrorCode.UnsupportedOperator or ErrorCode.InvalidShape)
        {
            info = null;
            warnings.Add($"Model analysis failed, so parameters and MACs are not reported: {e.Message}");
        }

        var inputs = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
        string preset = model.Metadata.GetValueOrDefault("lightnet.preprocessing", "");
        int index = 0;
        foreach ((string name, InferredValue value) in resolved)
        {
            if (options.InputFill == InputFill.Given)
            {
                if (options.Inputs!.TryGetValue(name, out TensorBuffer? given))
                {
                    if (given.ElementType != value.Type || !given.Shape.SequenceEqual(value.Dims))
                    {
                        throw new LightNetException(ErrorCode.InvalidShape,
                            $"The tensor given for input '{name}' is {given}, but the model takes {value.Type} {Dimension.Format(value.Dims)}.");
                    }

                    inputs[name] = given;
                    continue;
                }

                throw new LightNetException(ErrorCode.InvalidArgument, $"No tensor was given for input '{name}' ({value.Type} {Dimension.Format(value.Dims)}).");
            }

            TensorBuffer buffer = TensorBuffer.Allocate(value.Type, value.Dims);
            if (options.InputFill == InputFill.Random)
            {
                Fill(buffer, preset, new Random(options.Seed + index));
            }

            inputs[name] = buffer;
            index++;
        }

        return inputs;
    }

    /// <summary>
    /// The session options for running <paramref name="model"/> on <paramref name="inputs"/>: the threads of
    /// <paramref name="options"/> and the value of every symbolic input dimension that the inputs' shapes fix.
    /// </summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidShape"/> when an input's shape does not fit its declared
    /// shape, or two inputs give one dimension name two values (naming both).</exception>
    public static InferenceOptions SessionOptions(Model model, ProfileOptions options, IReadOnlyDictionary<string, TensorBuffer> inputs,
        bool perOperatorProfiling = false) =>
        options.ToInferenceOptions(DimensionValues(model, name => inputs.TryGetValue(name, out TensorBuffer? t) ? t.Shape : null), perOperatorProfiling);

    /// <summary>The value of every symbolic input dimension of <paramref name="model"/> that the given shapes fix.</summary>
    /// <param name="model">The model.</param>
    /// <param name="shapeOf">The shape given for an input, or null.</param>
    /// <exception cref="LightNetException">As for <see cref="SessionOptions"/>.</exception>
    public static Dictionary<string, long> DimensionValues(Model model, Func<string, IReadOnlyList<long>?> shapeOf)
    {
        Graph graph = model.Graph;
        return InputShapeMatcher.Match(Profiler.ModelName(model),
            graph.Inputs.Where(i => !graph.Initializers.ContainsKey(i.Name)).Select(i => (i.Name, i.Shape)), shapeOf);
    }

    /// <summary>Seeded values in the range the model family's preprocessing produces.</summary>
    private static void Fill(TensorBuffer buffer, string preset, Random random)
    {
        (float low, float high) = preset switch
        {
            "torchvision" => (-2.12f, 2.64f), // (0 - mean) / std .. (1 - mean) / std over ImageNet's channels
            "tensorflow" or "inception" => (-1f, 1f),
            "caffe" => (-123.68f, 151.06f),
            _ => (0f, 1f),
        };
        switch (buffer.ElementType)
        {
            case TensorElementType.Float:
                foreach (ref float v in buffer.AsSpan<float>()) v = low + (high - low) * random.NextSingle();
                break;
            case TensorElementType.Float16:
                foreach (ref Half v in buffer.AsSpan<Half>()) v = (Half)(low + (high - low) * random.NextSingle());
                break;
            case TensorElementType.UInt8:
                random.NextBytes(buffer.Bytes);
                break;
            default:
                // Integer inputs are usually indices or sizes: zeros are always valid.
                break;
        }
    }
}
