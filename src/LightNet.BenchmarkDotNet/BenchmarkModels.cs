using System.Collections.Concurrent;
using LightNet.Analysis;
using LightNet.Backends;
using LightNet.Onnx;
using LightNet.Zoo;

namespace LightNet.BenchmarkDotNet;

/// <summary>
/// Resolves the model names a benchmark takes as parameters: a LightNet zoo name (built in code, with random
/// weights, at the zoo's default resolution) or the path of an <c>.onnx</c> file. The benchmark process and the
/// columns (which run in BenchmarkDotNet's host process) resolve a name the same way, so the MACs a column shows
/// are those of the model that was timed.
/// </summary>
public static class BenchmarkModels
{
    private static readonly ConcurrentDictionary<string, Lazy<Model>> s_models = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, ModelInfo?> s_infos = new(StringComparer.Ordinal);

    /// <summary>Whether the name denotes a file rather than a zoo model: it ends in ".onnx" or names an existing file.</summary>
    /// <param name="nameOrPath">A zoo name or a file path.</param>
    public static bool IsPath(string nameOrPath)
    {
        ArgumentNullException.ThrowIfNull(nameOrPath);
        return nameOrPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) || File.Exists(nameOrPath);
    }

    /// <summary>
    /// The parameter value for a model: a zoo name as it is, a path made absolute (BenchmarkDotNet runs each
    /// benchmark in a process of its own, from another working directory).
    /// </summary>
    /// <param name="nameOrPath">A zoo name or a file path.</param>
    public static string Normalize(string nameOrPath) => IsPath(nameOrPath) ? Path.GetFullPath(nameOrPath) : nameOrPath;

    /// <summary>Loads the model (once per process; later calls return the same instance).</summary>
    /// <param name="nameOrPath">A zoo name or a file path.</param>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an unknown zoo name; load errors for a file.</exception>
    public static Model Load(string nameOrPath)
    {
        ArgumentNullException.ThrowIfNull(nameOrPath);
        return s_models.GetOrAdd(nameOrPath, n => new Lazy<Model>(() => IsPath(n) ? Model.Load(n) : ModelZoo.Create(n))).Value;
    }

    /// <summary>The model's analysis (parameters, MACs), or null when the model cannot be loaded or analysed.</summary>
    /// <param name="nameOrPath">A zoo name or a file path.</param>
    public static ModelInfo? TryGetInfo(string nameOrPath)
    {
        ArgumentNullException.ThrowIfNull(nameOrPath);
        return s_infos.GetOrAdd(nameOrPath, n =>
        {
            try
            {
                return Load(n).Info;
            }
            catch (LightNetException)
            {
                return null;
            }
        });
    }

    /// <summary>
    /// One input tensor for a benchmark: seeded random values (uniform in [-2.12, 2.64], the range of ImageNet-normalised
    /// images, for float inputs; random bytes for uint8; zeros otherwise), symbolic or unknown dimensions taken as 1.
    /// </summary>
    /// <param name="input">The session's description of the input.</param>
    /// <param name="index">The input's position, used as seed offset.</param>
    public static TensorBuffer CreateInput(TensorSpec input, int index)
    {
        ArgumentNullException.ThrowIfNull(input);
        long[] shape = input.Shape.Select(d => d.Value ?? 1L).ToArray();
        TensorBuffer buffer = TensorBuffer.Allocate(input.ElementType, shape);
        var random = new Random(1234 + index);
        switch (input.ElementType)
        {
            case TensorElementType.Float:
                foreach (ref float v in buffer.AsSpan<float>()) v = -2.12f + 4.76f * random.NextSingle();
                break;
            case TensorElementType.Float16:
                foreach (ref Half v in buffer.AsSpan<Half>()) v = (Half)(-2.12f + 4.76f * random.NextSingle());
                break;
            case TensorElementType.UInt8:
                random.NextBytes(buffer.Bytes);
                break;
            default:
                break; // zeros
        }

        return buffer;
    }

    /// <summary>One input per session input, by name, for <see cref="IInferenceSession.Prepare"/>.</summary>
    /// <param name="session">The session.</param>
    /// <param name="create">Creates the input of a description and position; null for <see cref="CreateInput"/>.</param>
    public static Dictionary<string, TensorBuffer> CreateInputs(IInferenceSession session, Func<TensorSpec, int, TensorBuffer>? create = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        create ??= CreateInput;
        var inputs = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
        for (int i = 0; i < session.Inputs.Count; i++)
        {
            inputs[session.Inputs[i].Name] = create(session.Inputs[i], i);
        }

        return inputs;
    }
}
