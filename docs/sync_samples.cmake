# Keeps the C++ samples in the guide identical to the compiled programs under
# examples/guide/.
#
# A sample program marks the part that a page shows:
#
#     // [start:first-breaker]
#     ...code...
#     // [end:first-breaker]
#
# and the page shows it right after a marker comment naming the file and the
# region:
#
#     <!-- sample: first_breaker.cpp#first-breaker -->
#     ```cpp
#     ...the same code, without the indentation of the start marker...
#     ```
#
# Check (the GuideSamplesInSync test):
#     cmake -DSOURCE_DIR=<repo> "-DPAGES=README.md;docs/windows.md" -P docs/sync_samples.cmake
# Copy every region into the pages that show it, then check:
#     cmake -DSOURCE_DIR=<repo> "-DPAGES=..." -DUPDATE=ON -P docs/sync_samples.cmake
#
# The check fails when a shown block differs from its region, when a marker
# names a region that does not exist, when a C++ block in a listed page has no
# marker (so it is not compiled), or when a region is shown on no page.

cmake_minimum_required(VERSION 3.25)

if(NOT SOURCE_DIR OR NOT PAGES)
  message(FATAL_ERROR "usage: cmake -DSOURCE_DIR=<repository> -DPAGES=<page;...> [-DUPDATE=ON] -P sync_samples.cmake")
endif()

# A relative SOURCE_DIR is taken from the current directory.
get_filename_component(SOURCE_DIR "${SOURCE_DIR}" ABSOLUTE)
set(samples_dir "${SOURCE_DIR}/examples/guide")
set(problems "")

# Appends one line to the report printed at the end.
macro(report text)
  string(APPEND problems "  ${text}\n")
endmacro()

# Reads every `// [start:name]` ... `// [end:name]` region of `file` into a
# variable region_<file>/<name> and appends `<file>/<name>` to region_keys.
# Keys use `/` because `#` cannot appear in a CMake variable reference.
function(read_regions file)
  file(READ "${samples_dir}/${file}" text)
  set(keys "")
  while(TRUE)
    string(FIND "${text}" "// [start:" start)
    if(start EQUAL -1)
      break()
    endif()

    # The indentation of the start marker is removed from every line.
    string(SUBSTRING "${text}" 0 ${start} before)
    string(FIND "${before}" "\n" line_begin REVERSE)
    math(EXPR indent_begin "${line_begin} + 1")
    math(EXPR indent_length "${start} - ${indent_begin}")
    string(SUBSTRING "${text}" ${indent_begin} ${indent_length} indent)

    math(EXPR name_begin "${start} + 10")
    string(SUBSTRING "${text}" ${name_begin} -1 rest)
    string(FIND "${rest}" "]" name_end)
    string(SUBSTRING "${rest}" 0 ${name_end} name)
    string(FIND "${rest}" "\n" newline)
    math(EXPR body_begin "${newline} + 1")
    string(SUBSTRING "${rest}" ${body_begin} -1 rest)

    string(FIND "${rest}" "// [end:${name}]" end)
    if(end EQUAL -1)
      message(FATAL_ERROR "${file}: region '${name}' has no '// [end:${name}]' marker")
    endif()
    string(SUBSTRING "${rest}" 0 ${end} body)
    string(FIND "${body}" "\n" last_newline REVERSE)
    math(EXPR body_length "${last_newline} + 1")
    string(SUBSTRING "${body}" 0 ${body_length} body)
    if(NOT indent STREQUAL "")
      string(REPLACE "\n${indent}" "\n" body "\n${body}")
      string(SUBSTRING "${body}" 1 -1 body)
    endif()

    set(key "${file}/${name}")
    if(DEFINED "region_${key}")
      message(FATAL_ERROR "${file}: region '${name}' is defined twice")
    endif()
    set("region_${key}" "${body}" PARENT_SCOPE)
    set("region_${key}" "${body}")
    list(APPEND keys "${key}")
    string(SUBSTRING "${rest}" ${end} -1 text)
  endwhile()
  set(region_keys ${region_keys} ${keys} PARENT_SCOPE)
endfunction()

file(GLOB sample_files RELATIVE "${samples_dir}" "${samples_dir}/*.cpp")
list(SORT sample_files)
set(region_keys "")
foreach(file IN LISTS sample_files)
  read_regions("${file}")
endforeach()

set(shown_keys "")
foreach(page IN LISTS PAGES)
  set(path "${SOURCE_DIR}/${page}")
  if(NOT EXISTS "${path}")
    report("${page}: page not found")
    continue()
  endif()
  file(READ "${path}" text)
  set(rewritten "")
  set(changed FALSE)

  # Walk the page block by block: each iteration handles the next marker or
  # the next unmarked C++ block, whichever comes first.
  while(TRUE)
    string(FIND "${text}" "<!-- sample: " marker)
    string(FIND "${text}" "```cpp\n" fence)
    if(marker EQUAL -1 AND fence EQUAL -1)
      break()
    endif()
    if(marker EQUAL -1 OR (NOT fence EQUAL -1 AND fence LESS marker))
      string(SUBSTRING "${text}" 0 ${fence} before)
      string(REGEX MATCHALL "\n" newlines "${rewritten}${before}")
      list(LENGTH newlines line_count)
      math(EXPR line "${line_count} + 1")
      report("${page}:${line}: C++ block without a '<!-- sample: file.cpp#region -->' marker, so it is never compiled")
      math(EXPR skip "${fence} + 7")
      string(SUBSTRING "${text}" 0 ${skip} head)
      string(APPEND rewritten "${head}")
      string(SUBSTRING "${text}" ${skip} -1 text)
      continue()
    endif()

    # The marker: `<!-- sample: <file>#<region> -->`, then a ```cpp fence on the next line.
    string(SUBSTRING "${text}" ${marker} -1 rest)
    string(FIND "${rest}" " -->\n" marker_end)
    math(EXPR key_length "${marker_end} - 13")
    string(SUBSTRING "${rest}" 13 ${key_length} shown)
    string(REPLACE "#" "/" key "${shown}")
    math(EXPR after_marker "${marker} + ${marker_end} + 5")
    string(SUBSTRING "${text}" 0 ${after_marker} head)
    string(APPEND rewritten "${head}")
    string(SUBSTRING "${text}" ${after_marker} -1 text)

    if(NOT DEFINED "region_${key}")
      report("${page}: marker names '${shown}', but no sample under examples/guide/ defines that region")
      continue()
    endif()
    list(APPEND shown_keys "${key}")
    string(FIND "${text}" "```cpp\n" fence)
    if(NOT fence EQUAL 0)
      report("${page}: the line after the marker for '${shown}' must open a ```cpp block")
      continue()
    endif()
    string(SUBSTRING "${text}" 7 -1 block_and_rest)
    string(FIND "${block_and_rest}" "```\n" close)
    if(close EQUAL -1)
      report("${page}: the block for '${shown}' is never closed")
      break()
    endif()
    string(SUBSTRING "${block_and_rest}" 0 ${close} block)
    string(SUBSTRING "${block_and_rest}" ${close} -1 text)

    if(block STREQUAL "${region_${key}}")
      string(APPEND rewritten "```cpp\n${block}")
    elseif(UPDATE)
      set(changed TRUE)
      message(STATUS "${page}: updated '${shown}'")
      string(APPEND rewritten "```cpp\n${region_${key}}")
    else()
      report("${page}: the block for '${shown}' differs from the region in examples/guide/")
      string(APPEND rewritten "```cpp\n${block}")
    endif()
  endwhile()

  if(UPDATE AND changed)
    file(WRITE "${path}" "${rewritten}${text}")
  endif()
endforeach()

foreach(key IN LISTS region_keys)
  if(NOT key IN_LIST shown_keys)
    string(REPLACE "/" "#" shown "${key}")
    report("examples/guide/${shown}: region is shown on no page")
  endif()
endforeach()

if(NOT problems STREQUAL "")
  message(FATAL_ERROR "guide samples out of sync:\n${problems}"
    "To copy the samples into the pages, run from the repository root:\n"
    "  cmake -DSOURCE_DIR=. \"-DPAGES=${PAGES}\" -DUPDATE=ON -P docs/sync_samples.cmake")
endif()
list(LENGTH region_keys region_count)
message(STATUS "guide samples in sync: ${region_count} regions")
