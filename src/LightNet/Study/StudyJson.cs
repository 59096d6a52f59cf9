using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using LightNet.Reports;

namespace LightNet.Study;

/// <summary>
/// Reads and writes <see cref="StudyResults"/> as JSON with the profiler's conventions (<see cref="ReportJson"/>: camelCase,
/// enums as strings, NaN and ±Infinity as strings, indented): <c>{ "schema": "lightnet.study/1", ..., "cells": [ { "report":
/// { "schema": "lightnet.profile/1", ... } } ] }</c>. Readers accept any minor version of major version 1 and refuse others.
/// </summary>
public static class StudyJson
{
    internal static readonly JsonSerializerOptions Options = CreateOptions();
    private static readonly JsonTypeInfo<StudyResults> ResultsInfo = (JsonTypeInfo<StudyResults>)Options.GetTypeInfo(typeof(StudyResults));

    /// <summary>Serializes results to indented JSON.</summary>
    /// <param name="results">The results.</param>
    /// <returns>The JSON text, with <c>"\n"</c> line ends.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="results"/> is null.</exception>
    public static string Format(StudyResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return JsonSerializer.Serialize(results, ResultsInfo);
    }

    /// <summary>Serializes a recommendation (with every candidate's verdict) to indented JSON.</summary>
    /// <param name="recommendation">The recommendation.</param>
    /// <returns>The JSON text, with <c>"\n"</c> line ends.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="recommendation"/> is null.</exception>
    public static string Format(Recommendation recommendation)
    {
        ArgumentNullException.ThrowIfNull(recommendation);
        return JsonSerializer.Serialize(recommendation, (JsonTypeInfo<Recommendation>)Options.GetTypeInfo(typeof(Recommendation)));
    }

    /// <summary>Serializes a fleet (every device's study, merged) to indented JSON.</summary>
    /// <param name="fleet">The fleet.</param>
    /// <returns>The JSON text, with <c>"\n"</c> line ends.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fleet"/> is null.</exception>
    public static string Format(FleetResults fleet)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        return JsonSerializer.Serialize(fleet, StudyFleet.Info);
    }

    /// <summary>Reads results from JSON text.</summary>
    /// <param name="json">The text, as <see cref="Format(StudyResults)"/> writes it.</param>
    /// <returns>The results.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> when the text is not valid JSON (with the line and
    /// position), not study results, or of a schema version this LightNet does not read.</exception>
    public static StudyResults Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(json, "the JSON text");
    }

    /// <summary>Writes results to a file atomically (a temporary file in the same folder, then a rename).</summary>
    /// <param name="results">The results.</param>
    /// <param name="path">Destination path.</param>
    /// <exception cref="ArgumentNullException"><paramref name="results"/> is null.</exception>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> for an empty path;
    /// <see cref="ErrorCode.IOFailure"/> naming the path when it cannot be written.</exception>
    public static void Write(StudyResults results, string path) => ReportJson.WriteText(Format(results), path);

    /// <summary>Reads results from a file.</summary>
    /// <param name="path">The file, as <see cref="Write"/> writes it.</param>
    /// <returns>The results.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.IOFailure"/> when the file is missing or unreadable;
    /// <see cref="ErrorCode.InvalidArgument"/> naming the file when it is not valid JSON, not study results (a profile report or a
    /// comparison, say), or of another major schema version.</exception>
    public static StudyResults Read(string path) => Parse(ReportJson.ReadText(path), $"'{path}'");

    private static StudyResults Parse(string json, string source) => Parse(json, source, ResultsInfo, StudyResults.CurrentSchema, "study results file");

    /// <summary>Reads a document of <paramref name="currentSchema"/>'s name and major version ("lightnet.fleet/1").</summary>
    internal static T Parse<T>(string json, string source, JsonTypeInfo<T> info, string currentSchema, string what) where T : class
    {
        using JsonDocument document = ReportJson.ParseDocument(json, source);
        JsonElement root = document.RootElement;
        string schema = ReportJson.RequireSchema(root, source, "", $"'{currentSchema}'");
        ReportJson.CheckSchema(schema, ReportJson.SchemaName(currentSchema), currentSchema, source, "");
        return ReportJson.ToObject(root, info, source, what);
    }

    /// <summary>The serialization metadata of a type of the study's context.</summary>
    internal static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));

    private static JsonSerializerOptions CreateOptions()
    {
        // The profiler's options, with the study's types added: the embedded profile reports keep their exact contract.
        var options = new JsonSerializerOptions(ReportJson.Options)
        {
            TypeInfoResolver = JsonTypeInfoResolver.Combine(ReportJson.Options.TypeInfoResolver, StudyJsonContext.Default),
        };
        options.MakeReadOnly();
        return options;
    }
}

/// <summary>Source-generated JSON metadata for the study's types (same naming and number rules as the profiler's).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    NewLine = "\n",
    UseStringEnumConverter = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(StudyResults))]
[JsonSerializable(typeof(StudyComparison))]
[JsonSerializable(typeof(Recommendation))]
[JsonSerializable(typeof(FleetResults))]
[JsonSerializable(typeof(LightNet.Deployment.DeploymentManifest))]
internal sealed partial class StudyJsonContext : JsonSerializerContext;
