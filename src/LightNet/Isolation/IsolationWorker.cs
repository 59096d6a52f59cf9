using System.Text.Json;
using LightNet.Backends;
using LightNet.Profiling;
using LightNet.Reports;

namespace LightNet.Isolation;

/// <summary>
/// The worker side of <see cref="IsolationMode.Process"/>: an application's <c>Main</c> calls <see cref="TryRun"/>
/// first, and when started as a worker it loads the model, creates the session in its own process and answers run
/// requests on its standard input and output until the input ends.
/// </summary>
public static class IsolationWorker
{
    /// <summary>The argument that starts an application as a LightNet worker.</summary>
    public const string Argument = "--lightnet-worker";

    /// <summary>
    /// Runs the worker when <paramref name="args"/> asks for it (its first argument is <see cref="Argument"/>); call it
    /// first thing in <c>Main</c>: <c>if (IsolationWorker.TryRun(args, out int code)) return code;</c>.
    /// </summary>
    /// <param name="args">The application's command-line arguments.</param>
    /// <param name="exitCode">The worker's exit code when it ran.</param>
    /// <returns>True when the process was a worker (it has finished and should exit with <paramref name="exitCode"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="args"/> is null.</exception>
    public static bool TryRun(string[] args, out int exitCode)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || args[0] != Argument)
        {
            exitCode = 0;
            return false;
        }

        exitCode = Run(Console.In, Console.Out);
        return true;
    }

    /// <summary>
    /// Serves one session: reads a settings line (JSON: model file, backend, session options), answers with the session's
    /// inputs and outputs (or an error line), then one answer line per request line until <paramref name="input"/> ends.
    /// </summary>
    /// <param name="input">The worker's standard input.</param>
    /// <param name="output">The worker's standard output.</param>
    /// <returns>0, or 1 when the session could not be created (reported on <paramref name="output"/>).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static int Run(TextReader input, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        void Send(string line)
        {
            output.WriteLine(line);
            output.Flush();
        }

        IInferenceSession session;
        SharedTensorMemory? shared = null;
        try
        {
            string settings = input.ReadLine() ?? throw new LightNetException(ErrorCode.InvalidArgument, "The worker got no settings on its standard input.");
            using JsonDocument doc = JsonDocument.Parse(settings);
            JsonElement s = doc.RootElement;
            string path = s.GetProperty("model").GetString()!;
            // Read under the caller's name for the model, so that messages name it rather than the temporary file.
            byte[] bytes = File.ReadAllBytes(path);
            Model model = Model.Load(bytes.AsMemory(), new ModelLoadOptions { MaxFileBytes = Math.Max(ModelLoadOptions.Default.MaxFileBytes, bytes.Length) },
                s.TryGetProperty("source", out JsonElement source) ? source.GetString() : null);
            Dictionary<string, long>? dims = s.TryGetProperty("dims", out JsonElement d) && d.ValueKind == JsonValueKind.Object
                ? d.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64(), StringComparer.Ordinal)
                : null;
            var options = new InferenceOptions
            {
                Threads = s.TryGetProperty("threads", out JsonElement t) && t.ValueKind == JsonValueKind.Number ? t.GetInt32() : null,
                GraphOptimization = Enum.Parse<GraphOptimization>(s.GetProperty("optimization").GetString()!),
                PerOperatorProfiling = s.GetProperty("perOperator").GetBoolean(),
                DimensionValues = dims,
            };
            if (s.TryGetProperty("shared", out JsonElement sharedPath) && sharedPath.GetString() is { } sharedFile)
            {
                shared = SharedTensorMemory.Open(sharedFile);
            }

            session = Backend.Parse(s.GetProperty("backend").GetString()!).CreateSession(model, options);
        }
        catch (Exception e) when (e is LightNetException or JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            string code = e is LightNetException l ? l.Code.ToString() : nameof(ErrorCode.InvalidArgument);
            Send(IsolationProtocol.Error + code + " " + IsolationProtocol.OneLine(e.Message));
            shared?.Dispose();
            return 1;
        }

        using (shared)
        using (session)
        {
            Send(IsolationProtocol.Ready + IsolationProtocol.Json(w =>
            {
                w.WriteStartObject();
                IsolationProtocol.WriteSpecs(w, "inputs", session.Inputs);
                IsolationProtocol.WriteSpecs(w, "outputs", session.Outputs);
                w.WriteEndObject();
            }));
            for (string? line = input.ReadLine(); line is not null; line = input.ReadLine())
            {
                try
                {
                    if (line.StartsWith("run ", StringComparison.Ordinal))
                    {
                        using JsonDocument doc = JsonDocument.Parse(line.AsMemory(4));
                        IReadOnlyDictionary<string, TensorBuffer> outputs = session.Run(IsolationProtocol.ReadTensors(doc.RootElement, shared));
                        Send(IsolationProtocol.Result + IsolationProtocol.Json(w => IsolationProtocol.WriteTensors(w, outputs, shared)));
                    }
                    else if (line.StartsWith("profile ", StringComparison.Ordinal))
                    {
                        OperatorProfile? profile = session.CollectOperatorProfile(int.Parse(line.AsSpan(8), System.Globalization.CultureInfo.InvariantCulture));
                        Send(IsolationProtocol.Profile + (profile is null ? "null" : JsonSerializer.Serialize(profile, IsolationProtocol.OperatorProfileJson)));
                    }
                    else
                    {
                        throw new LightNetException(ErrorCode.InvalidArgument, $"The worker does not know the request '{line.Split(' ')[0]}'.");
                    }
                }
                catch (Exception e) when (e is LightNetException or JsonException or FormatException)
                {
                    string code = e is LightNetException l ? l.Code.ToString() : nameof(ErrorCode.InvalidArgument);
                    Send(IsolationProtocol.Error + code + " " + IsolationProtocol.OneLine(e.Message));
                }
            }
        }

        return 0;
    }
}
