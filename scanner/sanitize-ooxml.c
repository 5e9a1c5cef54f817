/* sanitize-ooxml.c - a macro-free copy of an Office Open XML document (libzip, libxml2).
 *
 * An OOXML file is a ZIP package of parts; what a part is comes from [Content_Types].xml
 * and from the relationships (the `.rels` parts under `_rels/`) that point at it.  The copy:
 *
 *   - drops the VBA project (vbaProject.bin, vbaData.xml, their signatures, macro key
 *     bindings and toolbars) and ActiveX controls (activeX*.xml / .bin), found by content
 *     type, by relationship type or by name, and every part that only they pointed at;
 *   - drops ribbon customisations (customUI.xml, customUI14.xml) that call macros
 *     (onAction, onLoad, getLabel ... attributes);
 *   - removes the relationships to what was dropped, and the elements of the remaining
 *     XML that referred to them by r:id (<control>, <w:control> ... and containers left
 *     empty);
 *   - stops links that are followed when the file opens: remote templates (Word's
 *     attachedTemplate), frames, sub-documents and pictures on other machines are cut
 *     off; linked OLE objects are set to update only on request; Word's "update fields on
 *     open" and Excel's updateLinks="always" are turned off; Word's DDE and DDEAUTO fields
 *     lose their field code (the text they last showed stays);
 *   - gives the main part its macro-free content type, so the copy opens as .docx,
 *     .xlsx, .pptx (or the template/show variants): result.family.
 *
 * Everything else is copied as it is (decompressed, checked against its CRC, compressed
 * again); [Content_Types].xml comes first, as type detection expects.  What it cannot
 * make safe it refuses: Excel 4.0 macro sheets, binary workbooks (.xlsb), add-ins,
 * encrypted or damaged archives, two parts whose names differ only in case, XML with a
 * DTD, and anything past the limits. */
#include "scanner/sanitize.h"

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define OOXML_CT_PART "[content_types].xml"
#define OOXML_XML_MAX (64u << 20) /* one XML part we parse */
#define OOXML_NS_PKG_REL "http://schemas.openxmlformats.org/package/2006/relationships"
#define OOXML_NS_CT "http://schemas.openxmlformats.org/package/2006/content-types"

/* ---- tables --------------------------------------------------------------------------- */

/* Parts dropped for their content type (lower case; a trailing '*' matches any rest). */
static const struct {
    const char *ct;
    uint32_t removed; /* 0: refuse the file */
} ooxml_drop_types[] = {
    {"application/vnd.ms-office.vbaproject*", SANITIZE_VBA},
    {"application/vnd.ms-word.vbadata+xml", SANITIZE_VBA},
    {"application/vnd.ms-word.keymapcustomizations+xml", SANITIZE_VBA},
    {"application/vnd.ms-word.attachedtoolbars", SANITIZE_VBA},
    {"application/vnd.ms-office.activex*", SANITIZE_ACTIVEX},
    {"application/vnd.ms-excel.macrosheet+xml", 0},
    {"application/vnd.ms-excel.intlmacrosheet+xml", 0},
};

/* Relationships dropped for their type (last segment of the type URI, lower case). */
static const struct {
    const char *type;
    uint32_t removed; /* 0: refuse the file */
} ooxml_drop_rels[] = {
    {"vbaproject", SANITIZE_VBA},
    {"vbaprojectsignature", SANITIZE_VBA},
    {"vbaprojectsignatureagile", SANITIZE_VBA},
    {"vbaprojectsignaturev3", SANITIZE_VBA},
    {"wordvbadata", SANITIZE_VBA},
    {"keymapcustomizations", SANITIZE_VBA},
    {"attachedtoolbars", SANITIZE_VBA},
    {"control", SANITIZE_ACTIVEX},
    {"activexcontrolbinary", SANITIZE_ACTIVEX},
    {"xlmacrosheet", 0},
    {"xlintlmacrosheet", 0},
};

/* External relationships Office follows by itself when the file opens. */
static const char *const ooxml_auto_external[] = {
    "attachedtemplate", "frame", "subdocument", "image", NULL,
};

/* Main part content types: the family, and the macro-free type of the copy. */
static const struct {
    const char *ct;
    enum sanitize_family family;
    const char *refuse; /* not NULL: no macro-free form */
} ooxml_main_types[] = {
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
     SANITIZE_FAMILY_DOCX, NULL},
    {"application/vnd.ms-word.document.macroenabled.main+xml", SANITIZE_FAMILY_DOCX, NULL},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
     SANITIZE_FAMILY_DOTX, NULL},
    {"application/vnd.ms-word.template.macroenabledtemplate.main+xml", SANITIZE_FAMILY_DOTX, NULL},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
     SANITIZE_FAMILY_XLSX, NULL},
    {"application/vnd.ms-excel.sheet.macroenabled.main+xml", SANITIZE_FAMILY_XLSX, NULL},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
     SANITIZE_FAMILY_XLTX, NULL},
    {"application/vnd.ms-excel.template.macroenabled.main+xml", SANITIZE_FAMILY_XLTX, NULL},
    {"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
     SANITIZE_FAMILY_PPTX, NULL},
    {"application/vnd.ms-powerpoint.presentation.macroenabled.main+xml", SANITIZE_FAMILY_PPTX,
     NULL},
    {"application/vnd.openxmlformats-officedocument.presentationml.template.main+xml",
     SANITIZE_FAMILY_POTX, NULL},
    {"application/vnd.ms-powerpoint.template.macroenabled.main+xml", SANITIZE_FAMILY_POTX, NULL},
    {"application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
     SANITIZE_FAMILY_PPSX, NULL},
    {"application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml", SANITIZE_FAMILY_PPSX, NULL},
    {"application/vnd.ms-excel.sheet.binary.macroenabled.main", SANITIZE_FAMILY_NONE,
     "a binary Excel workbook (.xlsb) cannot be sanitized"},
    {"application/vnd.ms-excel.addin.macroenabled.main+xml", SANITIZE_FAMILY_NONE,
     "an Excel add-in is a program (macros only)"},
    {"application/vnd.ms-powerpoint.addin.macroenabled.main+xml", SANITIZE_FAMILY_NONE,
     "a PowerPoint add-in is a program (macros only)"},
};

/* The macro-free main content type of each family. */
static const char *const ooxml_family_ct[SANITIZE_FAMILY_COUNT] = {
    [SANITIZE_FAMILY_DOCX] =
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    [SANITIZE_FAMILY_DOTX] =
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    [SANITIZE_FAMILY_XLSX] =
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    [SANITIZE_FAMILY_XLTX] =
        "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    [SANITIZE_FAMILY_PPTX] =
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    [SANITIZE_FAMILY_POTX] =
        "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml",
    [SANITIZE_FAMILY_PPSX] =
        "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
};

/* Elements removed when the relationship they refer to by r:id is removed; the containers
 * they leave empty go as well. */
static const char *const ooxml_empty_containers[] = {
    "controls", "AlternateContent", "Choice", "Fallback", "control", "object", NULL,
};

/* ---- the package ---------------------------------------------------------------------- */

struct ooxml_rel {
    char *id, *type, *target;
    bool external;
    char *part;       /* internal: the target part's key, or NULL when there is none */
    uint32_t removed; /* why it is dropped; 0 = kept */
};

struct ooxml_part {
    char *name; /* as in the archive */
    char *key;  /* lower case, percent-decoded: how names are compared */
    zip_uint64_t index;
    zip_uint64_t size;
    char *ct;         /* lower case, or NULL */
    uint32_t dropped; /* why; 0 = kept */
    bool dir;
    /* its relationships, when it has a .rels part */
    struct ooxml_part *rels_part;
    GPtrArray *rels; /* struct ooxml_rel * */
    xmlDocPtr doc;   /* parsed when it must change */
    bool changed;
    int reach; /* bookkeeping of ooxml_reach() */
};

struct ooxml {
    const struct sanitize_limits *lim;
    struct sanitize_result *r;
    zip_t *zip;
    GPtrArray *parts;      /* struct ooxml_part *, archive order */
    GHashTable *by_key;    /* key -> part */
    GHashTable *defaults;  /* extension (lower) -> ct (lower) */
    GHashTable *overrides; /* part key -> ct (lower) */
    struct ooxml_part *ct_part, *main;
    GPtrArray *root_rels; /* relationships of the package (_rels/.rels) */
    struct ooxml_part *root_rels_part;
    enum sanitize_family family;
    uint64_t inflated;
    uint32_t removed;
};

static void ooxml_rel_free(gpointer p)
{
    struct ooxml_rel *rel = p;
    g_free(rel->id);
    g_free(rel->type);
    g_free(rel->target);
    g_free(rel->part);
    g_free(rel);
}

static void ooxml_part_free(gpointer p)
{
    struct ooxml_part *part = p;
    g_free(part->name);
    g_free(part->key);
    g_free(part->ct);
    if (part->rels)
        g_ptr_array_free(part->rels, TRUE);
    if (part->doc)
        xmlFreeDoc(part->doc);
    g_free(part);
}

static bool ooxml_failed(const struct ooxml *o)
{
    return o->r->status == SANITIZE_REFUSED;
}

/* Lower case and percent-decoded, without a leading '/': the key a part name, an
 * override or a resolved target are compared by (OPC names are case-insensitive). */
static char *ooxml_key(const char *name)
{
    GString *s = g_string_sized_new(strlen(name));
    if (*name == '/')
        name++;
    for (const char *c = name; *c; c++) {
        if (c[0] == '%' && g_ascii_isxdigit(c[1]) && g_ascii_isxdigit(c[2])) {
            g_string_append_c(s,
                              (char)(g_ascii_xdigit_value(c[1]) * 16 + g_ascii_xdigit_value(c[2])));
            c += 2;
        } else {
            g_string_append_c(s, *c);
        }
    }
    char *lower = g_ascii_strdown(s->str, (gssize)s->len);
    g_string_free(s, TRUE);
    return lower;
}

static bool ooxml_match(const char *pattern, const char *s)
{
    size_t n = strlen(pattern);
    if (n && pattern[n - 1] == '*')
        return strncmp(pattern, s, n - 1) == 0;
    return strcmp(pattern, s) == 0;
}

static const char *ooxml_last_segment(const char *uri)
{
    const char *slash = strrchr(uri, '/');
    return slash ? slash + 1 : uri;
}

/* ---- reading -------------------------------------------------------------------------- */

static void ooxml_zip_refuse(struct ooxml *o, int code, const char *what)
{
    switch (code) {
    case ZIP_ER_NOZIP:
    case ZIP_ER_INCONS:
    case ZIP_ER_EOF:
    case ZIP_ER_CRC:
    case ZIP_ER_COMPRESSED_DATA:
    case ZIP_ER_ZLIB:
    case ZIP_ER_MULTIDISK:
        sanitize_refuse(o->r, "damaged: %s (%s)", what, zip_strerror(o->zip));
        break;
    case ZIP_ER_ENCRNOTSUPP:
    case ZIP_ER_NOPASSWD:
    case ZIP_ER_WRONGPASSWD:
        sanitize_refuse(o->r, "encrypted: its contents cannot be checked");
        break;
    case ZIP_ER_MEMORY:
        sanitize_refuse(o->r, "too large to sanitize (out of memory)");
        break;
    default: {
        zip_error_t e;
        zip_error_init_with_code(&e, code);
        sanitize_refuse(o->r, "damaged: %s (%s)", what, zip_error_strerror(&e));
        zip_error_fini(&e);
    }
    }
}

/* The inflated bytes of PART (at most OOXML_XML_MAX), NUL-terminated.  NULL when refused. */
static char *ooxml_read(struct ooxml *o, struct ooxml_part *part, size_t *len)
{
    if (part->size > OOXML_XML_MAX || part->size > o->lim->max_part) {
        sanitize_refuse(o->r, "too large to sanitize: %s is %llu bytes once unpacked", part->name,
                        (unsigned long long)part->size);
        return NULL;
    }
    zip_file_t *zf = zip_fopen_index(o->zip, part->index, 0);
    if (!zf) {
        ooxml_zip_refuse(o, zip_error_code_zip(zip_get_error(o->zip)), part->name);
        return NULL;
    }
    char *buf = g_malloc((size_t)part->size + 1);
    size_t got = 0;
    for (;;) {
        char extra;
        zip_int64_t n = got < part->size ? zip_fread(zf, buf + got, part->size - got)
                                         : zip_fread(zf, &extra, 1);
        if (n < 0) {
            ooxml_zip_refuse(o, zip_error_code_zip(zip_file_get_error(zf)), part->name);
            goto fail;
        }
        if (n == 0)
            break;
        if (got >= part->size) {
            sanitize_refuse(o->r, "damaged: %s is longer than its header says", part->name);
            goto fail;
        }
        got += (size_t)n;
    }
    if (got != part->size) {
        sanitize_refuse(o->r, "damaged: %s is shorter than its header says", part->name);
        goto fail;
    }
    o->inflated += got;
    zip_fclose(zf);
    buf[got] = '\0';
    *len = got;
    return buf;
fail:
    zip_fclose(zf);
    g_free(buf);
    return NULL;
}

static void ooxml_xml_quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

/* Parse PART's XML (no network, no DTD, no entity expansion).  NULL when refused. */
static xmlDocPtr ooxml_parse(struct ooxml *o, struct ooxml_part *part)
{
    size_t len = 0;
    char *buf = ooxml_read(o, part, &len);
    if (!buf)
        return NULL;
    xmlDocPtr doc = xmlReadMemory(buf, (int)len, NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    g_free(buf);
    if (!doc || !xmlDocGetRootElement(doc)) {
        sanitize_refuse(o->r, "damaged: %s is not well-formed XML", part->name);
        goto fail;
    }
    if (doc->intSubset || doc->extSubset) {
        /* Office never writes one; a DTD is how entity bombs and external entities come in. */
        sanitize_refuse(o->r, "damaged: %s has a document type declaration", part->name);
        goto fail;
    }
    return doc;
fail:
    if (doc)
        xmlFreeDoc(doc);
    return NULL;
}

static const char *ooxml_attr(xmlNodePtr n, const char *name)
{
    for (xmlAttrPtr a = n->properties; a; a = a->next)
        if (a->ns == NULL && strcmp((const char *)a->name, name) == 0 && a->children &&
            a->children->type == XML_TEXT_NODE)
            return (const char *)a->children->content;
    return NULL;
}

static bool ooxml_is(xmlNodePtr n, const char *ns, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0 &&
           (!ns || (n->ns && n->ns->href && strcmp((const char *)n->ns->href, ns) == 0));
}

static bool ooxml_content_types(struct ooxml *o)
{
    xmlDocPtr doc = ooxml_parse(o, o->ct_part);
    if (!doc)
        return false;
    o->ct_part->doc = doc;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (!ooxml_is(root, OOXML_NS_CT, "Types")) {
        sanitize_refuse(o->r, "damaged: [Content_Types].xml is not a list of content types");
        return false;
    }
    for (xmlNodePtr n = root->children; n; n = n->next) {
        const char *ct = ooxml_attr(n, "ContentType");
        if (n->type != XML_ELEMENT_NODE || !ct)
            continue;
        if (ooxml_is(n, OOXML_NS_CT, "Default") && ooxml_attr(n, "Extension"))
            g_hash_table_replace(o->defaults, g_ascii_strdown(ooxml_attr(n, "Extension"), -1),
                                 g_ascii_strdown(ct, -1));
        else if (ooxml_is(n, OOXML_NS_CT, "Override") && ooxml_attr(n, "PartName"))
            g_hash_table_replace(o->overrides, ooxml_key(ooxml_attr(n, "PartName")),
                                 g_ascii_strdown(ct, -1));
    }
    for (guint i = 0; i < o->parts->len; i++) {
        struct ooxml_part *p = g_ptr_array_index(o->parts, i);
        const char *ct = g_hash_table_lookup(o->overrides, p->key);
        const char *dot = strrchr(p->key, '.'), *slash = strrchr(p->key, '/');
        if (!ct && dot && (!slash || dot > slash))
            ct = g_hash_table_lookup(o->defaults, dot + 1);
        p->ct = g_strdup(ct);
    }
    return true;
}

/* "dir/name" of the part a .rels part describes ("" for the package), or NULL when KEY is
 * not a relationships part. */
static char *ooxml_rels_source(const char *key)
{
    size_t n = strlen(key);
    if (n < 5 || strcmp(key + n - 5, ".rels") != 0)
        return NULL;
    const char *r = g_strrstr(key, "_rels/");
    if (!r || (r != key && r[-1] != '/') || strchr(r + 6, '/'))
        return NULL;
    return g_strdup_printf("%.*s%.*s", (int)(r - key), key, (int)(strlen(r + 6) - 5), r + 6);
}

/* Resolve TARGET relative to the part SOURCE ("" = the package): a part key, or NULL. */
static char *ooxml_resolve(const char *source, const char *target)
{
    char *t = g_strdup(target);
    t[strcspn(t, "#?")] = '\0';
    if (!t[0]) {
        g_free(t);
        return NULL;
    }
    char *joined;
    if (t[0] == '/') {
        joined = g_strdup(t + 1);
    } else {
        const char *slash = strrchr(source, '/');
        joined = g_strdup_printf("%.*s%s", slash ? (int)(slash - source + 1) : 0, source, t);
    }
    g_free(t);
    /* "." and ".." segments */
    char **segs = g_strsplit(joined, "/", -1);
    GPtrArray *out = g_ptr_array_new();
    for (char **s = segs; *s; s++) {
        if (!**s || strcmp(*s, ".") == 0)
            continue;
        if (strcmp(*s, "..") == 0) {
            if (out->len)
                g_ptr_array_remove_index(out, out->len - 1);
            continue;
        }
        g_ptr_array_add(out, *s);
    }
    g_ptr_array_add(out, NULL);
    char *norm = g_strjoinv("/", (char **)out->pdata);
    char *key = ooxml_key(norm);
    g_free(norm);
    g_ptr_array_free(out, TRUE);
    g_strfreev(segs);
    g_free(joined);
    return key;
}

static bool ooxml_relationships(struct ooxml *o)
{
    for (guint i = 0; i < o->parts->len && !ooxml_failed(o); i++) {
        struct ooxml_part *rp = g_ptr_array_index(o->parts, i);
        char *source = ooxml_rels_source(rp->key);
        if (!source)
            continue;
        struct ooxml_part *src = source[0] ? g_hash_table_lookup(o->by_key, source) : NULL;
        if (source[0] && !src) {
            g_free(source); /* relationships of a part that is not there: dropped later */
            continue;
        }
        xmlDocPtr doc = ooxml_parse(o, rp);
        if (!doc) {
            g_free(source);
            return false;
        }
        rp->doc = doc;
        GPtrArray *rels = g_ptr_array_new_with_free_func(ooxml_rel_free);
        xmlNodePtr root = xmlDocGetRootElement(doc);
        for (xmlNodePtr n = root->children; n; n = n->next) {
            if (!ooxml_is(n, OOXML_NS_PKG_REL, "Relationship"))
                continue;
            const char *id = ooxml_attr(n, "Id"), *type = ooxml_attr(n, "Type");
            const char *target = ooxml_attr(n, "Target"), *mode = ooxml_attr(n, "TargetMode");
            if (!id || !type || !target)
                continue;
            struct ooxml_rel *rel = g_new0(struct ooxml_rel, 1);
            rel->id = g_strdup(id);
            rel->type = g_ascii_strdown(type, -1);
            rel->target = g_strdup(target);
            rel->external = mode && g_ascii_strcasecmp(mode, "External") == 0;
            if (!rel->external)
                rel->part = ooxml_resolve(source, target);
            g_ptr_array_add(rels, rel);
        }
        if (src) {
            src->rels = rels;
            src->rels_part = rp;
        } else {
            o->root_rels = rels;
            o->root_rels_part = rp;
        }
        g_free(source);
    }
    return !ooxml_failed(o);
}

static bool ooxml_find_main(struct ooxml *o)
{
    for (guint i = 0; o->root_rels && i < o->root_rels->len; i++) {
        struct ooxml_rel *rel = g_ptr_array_index(o->root_rels, i);
        if (strcmp(ooxml_last_segment(rel->type), "officedocument") == 0 && rel->part) {
            o->main = g_hash_table_lookup(o->by_key, rel->part);
            break;
        }
    }
    if (!o->main || !o->main->ct) {
        sanitize_refuse(o->r, "damaged: no main document part");
        return false;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(ooxml_main_types); i++) {
        if (strcmp(ooxml_main_types[i].ct, o->main->ct) != 0)
            continue;
        if (ooxml_main_types[i].refuse) {
            sanitize_refuse(o->r, "%s", ooxml_main_types[i].refuse);
            return false;
        }
        o->family = ooxml_main_types[i].family;
        return true;
    }
    sanitize_refuse(o->r, "not a Word, Excel or PowerPoint document (main part: %.80s)",
                    o->main->ct);
    return false;
}

/* ---- deciding what goes -------------------------------------------------------------- */

/* Does this customUI part call macros? */
static bool ooxml_has_callbacks(xmlNodePtr n)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        for (xmlAttrPtr a = n->properties; a; a = a->next) {
            const char *name = (const char *)a->name;
            if ((strncmp(name, "on", 2) == 0 && g_ascii_isupper(name[2])) ||
                (strncmp(name, "get", 3) == 0 && g_ascii_isupper(name[3])) ||
                strcmp(name, "loadImage") == 0)
                return true;
        }
        if (ooxml_has_callbacks(n->children))
            return true;
    }
    return false;
}

static void ooxml_drop_part(struct ooxml *o, struct ooxml_part *p, uint32_t why)
{
    if (p->dropped || p == o->ct_part)
        return;
    p->dropped = why;
    o->removed |= why;
    if (p->rels_part)
        p->rels_part->dropped = why;
}

/* Decide for each part by its content type and name, and for each relationship by its
 * type and target. */
static bool ooxml_decide(struct ooxml *o)
{
    for (guint i = 0; i < o->parts->len; i++) {
        struct ooxml_part *p = g_ptr_array_index(o->parts, i);
        const char *base = strrchr(p->key, '/');
        base = base ? base + 1 : p->key;
        for (size_t k = 0; p->ct && k < G_N_ELEMENTS(ooxml_drop_types); k++) {
            if (!ooxml_match(ooxml_drop_types[k].ct, p->ct))
                continue;
            if (!ooxml_drop_types[k].removed) {
                sanitize_refuse(o->r, "holds Excel 4.0 macro sheets: no macro-free copy can "
                                      "be made");
                return false;
            }
            ooxml_drop_part(o, p, ooxml_drop_types[k].removed);
        }
        if (strcmp(base, "vbaproject.bin") == 0 || strcmp(base, "vbadata.xml") == 0 ||
            strcmp(base, "vbaprojectsignature.bin") == 0)
            ooxml_drop_part(o, p, SANITIZE_VBA);
    }
    if (o->main->dropped) {
        sanitize_refuse(o->r, "damaged: the main document part is a macro project");
        return false;
    }
    for (guint i = 0; i <= o->parts->len; i++) {
        struct ooxml_part *src = i < o->parts->len ? g_ptr_array_index(o->parts, i) : NULL;
        GPtrArray *rels = src ? src->rels : o->root_rels;
        for (guint k = 0; rels && k < rels->len; k++) {
            struct ooxml_rel *rel = g_ptr_array_index(rels, k);
            const char *type = ooxml_last_segment(rel->type);
            struct ooxml_part *to = rel->part ? g_hash_table_lookup(o->by_key, rel->part) : NULL;
            for (size_t t = 0; t < G_N_ELEMENTS(ooxml_drop_rels); t++) {
                if (strcmp(type, ooxml_drop_rels[t].type) != 0)
                    continue;
                if (!ooxml_drop_rels[t].removed) {
                    sanitize_refuse(o->r, "holds Excel 4.0 macro sheets: no macro-free copy "
                                          "can be made");
                    return false;
                }
                rel->removed = ooxml_drop_rels[t].removed;
            }
            if (strcmp(type, "extensibility") == 0 && to && !to->dropped) {
                /* ribbon XML: dropped only when it calls macros */
                if (!to->doc && !(to->doc = ooxml_parse(o, to)))
                    return false;
                if (ooxml_has_callbacks(xmlDocGetRootElement(to->doc)))
                    rel->removed = SANITIZE_CUSTOM_UI;
            }
            if (rel->external) {
                for (const char *const *a = ooxml_auto_external; *a; a++)
                    if (strcmp(type, *a) == 0)
                        rel->removed = SANITIZE_EXT_LINKS;
            }
            if (!rel->removed && to && to->dropped)
                rel->removed = to->dropped;
            if (rel->removed) {
                o->removed |= rel->removed;
                if (to && rel->removed != SANITIZE_EXT_LINKS)
                    ooxml_drop_part(o, to, rel->removed);
            }
        }
    }
    return true;
}

/* Mark every part reachable from the package's relationships (through kept ones only
 * when KEPT) with MARK. */
static void ooxml_reach(struct ooxml *o, GPtrArray *rels, bool kept, int mark)
{
    for (guint k = 0; rels && k < rels->len; k++) {
        struct ooxml_rel *rel = g_ptr_array_index(rels, k);
        if (kept && rel->removed)
            continue;
        struct ooxml_part *to = rel->part ? g_hash_table_lookup(o->by_key, rel->part) : NULL;
        if (!to || to->reach >= mark || (kept && to->dropped))
            continue;
        to->reach = mark;
        ooxml_reach(o, to->rels, kept, mark);
    }
}

/* Parts that only dropped parts or removed relationships led to go too (an ActiveX
 * control's binary, the pictures of a removed ribbon).  Parts nothing leads to are kept
 * as they were. */
static void ooxml_collect(struct ooxml *o)
{
    ooxml_reach(o, o->root_rels, false, 1);
    ooxml_reach(o, o->root_rels, true, 2);
    for (guint i = 0; i < o->parts->len; i++) {
        struct ooxml_part *p = g_ptr_array_index(o->parts, i);
        if (p->reach == 1 && !p->dropped) {
            /* what led to it decides what it was: find a removed relationship to it */
            uint32_t why = SANITIZE_VBA;
            for (guint j = 0; j < o->parts->len; j++) {
                struct ooxml_part *s = g_ptr_array_index(o->parts, j);
                for (guint k = 0; s->rels && k < s->rels->len; k++) {
                    struct ooxml_rel *rel = g_ptr_array_index(s->rels, k);
                    if (rel->part && strcmp(rel->part, p->key) == 0 && (rel->removed || s->dropped))
                        why = rel->removed ? rel->removed : s->dropped;
                }
            }
            ooxml_drop_part(o, p, why == SANITIZE_EXT_LINKS ? SANITIZE_VBA : why);
        }
    }
    /* Relationships parts of parts that are not there. */
    for (guint i = 0; i < o->parts->len; i++) {
        struct ooxml_part *p = g_ptr_array_index(o->parts, i);
        char *source = ooxml_rels_source(p->key);
        if (source && source[0]) {
            struct ooxml_part *s = g_hash_table_lookup(o->by_key, source);
            if (s && s->dropped)
                p->dropped = s->dropped;
        }
        g_free(source);
    }
}

/* ---- changing the XML that stays ------------------------------------------------------ */

static bool ooxml_is_rel_ns(const xmlNs *ns)
{
    const char *h = ns && ns->href ? (const char *)ns->href : "";
    return strcmp(h, "http://schemas.openxmlformats.org/officeDocument/2006/relationships") == 0 ||
           strcmp(h, "http://purl.oclc.org/ooxml/officeDocument/relationships") == 0;
}

static bool ooxml_rel_removed(GPtrArray *rels, const char *id)
{
    for (guint k = 0; rels && k < rels->len; k++) {
        struct ooxml_rel *rel = g_ptr_array_index(rels, k);
        if (rel->removed && strcmp(rel->id, id) == 0)
            return true;
    }
    return false;
}

static bool ooxml_element_empty(xmlNodePtr n)
{
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return false;
    return true;
}

static bool ooxml_container(xmlNodePtr n)
{
    for (const char *const *c = ooxml_empty_containers; *c; c++)
        if (strcmp((const char *)n->name, *c) == 0)
            return true;
    return false;
}

/* Remove N, then each ancestor container it leaves without elements. */
static void ooxml_unlink_up(xmlNodePtr n)
{
    while (n && n->parent && n->parent->type == XML_ELEMENT_NODE) {
        xmlNodePtr parent = n->parent;
        xmlUnlinkNode(n);
        xmlFreeNode(n);
        if (!ooxml_container(parent) || !ooxml_element_empty(parent))
            return;
        n = parent;
    }
}

/* In a part whose relationships lost some: an element referring to a removed one by r:id
 * goes; another r: attribute naming one (r:link, r:embed ...) goes alone.  True when
 * anything changed. */
static bool ooxml_cut_refs(xmlNodePtr n, GPtrArray *rels)
{
    bool changed = false;
    while (n) {
        xmlNodePtr next = n->next;
        if (n->type == XML_ELEMENT_NODE) {
            bool gone = false;
            for (xmlAttrPtr a = n->properties; a;) {
                xmlAttrPtr an = a->next;
                if (ooxml_is_rel_ns(a->ns) && a->children && a->children->content &&
                    ooxml_rel_removed(rels, (const char *)a->children->content)) {
                    changed = true;
                    if (strcmp((const char *)a->name, "id") == 0) {
                        gone = true;
                        break;
                    }
                    xmlRemoveProp(a);
                }
                a = an;
            }
            if (gone)
                ooxml_unlink_up(n);
            else if (ooxml_cut_refs(n->children, rels))
                changed = true;
        }
        n = next;
    }
    return changed;
}

/* Turn off what updates links by itself: Word's updateFields, Excel's updateLinks="always",
 * OLE links that update always (Word's o:OLEObject, Excel's oleObject, PowerPoint's
 * p:link). */
static bool ooxml_stop_updates(xmlNodePtr n)
{
    bool changed = false;
    while (n) {
        xmlNodePtr next = n->next;
        if (n->type == XML_ELEMENT_NODE) {
            const char *name = (const char *)n->name;
            const char *v;
            if (strcmp(name, "updateFields") == 0) {
                xmlUnlinkNode(n);
                xmlFreeNode(n);
                changed = true;
                n = next;
                continue;
            }
            if (strcmp(name, "workbookPr") == 0 && (v = ooxml_attr(n, "updateLinks")) &&
                strcmp(v, "never") != 0 && strcmp(v, "userSet") != 0) {
                xmlSetProp(n, BAD_CAST "updateLinks", BAD_CAST "never");
                changed = true;
            }
            if (strcmp(name, "OLEObject") == 0 && (v = ooxml_attr(n, "UpdateMode")) &&
                strcmp(v, "OnCall") != 0) {
                xmlSetProp(n, BAD_CAST "UpdateMode", BAD_CAST "OnCall");
                changed = true;
            }
            if (strcmp(name, "oleObject") == 0 && (v = ooxml_attr(n, "oleUpdate")) &&
                strcmp(v, "OLEUPDATE_ONCALL") != 0) {
                xmlSetProp(n, BAD_CAST "oleUpdate", BAD_CAST "OLEUPDATE_ONCALL");
                changed = true;
            }
            if (strcmp(name, "oleObject") == 0 && ooxml_attr(n, "autoLoad")) {
                xmlUnsetProp(n, BAD_CAST "autoLoad");
                changed = true;
            }
            if (strcmp(name, "link") == 0 && (v = ooxml_attr(n, "updateAutomatic")) &&
                strcmp(v, "0") != 0 && strcmp(v, "false") != 0) {
                xmlSetProp(n, BAD_CAST "updateAutomatic", BAD_CAST "0");
                changed = true;
            }
            if (ooxml_stop_updates(n->children))
                changed = true;
        }
        n = next;
    }
    return changed;
}

#define OOXML_NS_W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

/* A field instruction that makes Word talk to another program by itself: DDE, DDEAUTO. */
static bool ooxml_dde_instr(const char *instr)
{
    while (*instr == ' ' || *instr == '\t')
        instr++;
    return g_ascii_strncasecmp(instr, "DDE", 3) == 0 &&
           (instr[3] == '\0' || instr[3] == ' ' || instr[3] == '\t' ||
            g_ascii_strncasecmp(instr + 3, "AUTO", 4) == 0);
}

struct ooxml_field {
    GString *instr;
    GPtrArray *code; /* the fldChar and instrText elements of the field's code */
};

static void ooxml_field_free(struct ooxml_field *f)
{
    g_string_free(f->instr, TRUE);
    g_ptr_array_free(f->code, TRUE);
    g_free(f);
}

/* A field mark N (w:fldChar): "begin" opens a field on OPEN, the others belong to the
 * innermost open field; at its "end" a DDE field's code goes to DOOMED. */
static void ooxml_dde_fldchar(xmlNodePtr n, GPtrArray *open, GPtrArray *doomed)
{
    xmlChar *t = xmlGetNsProp(n, BAD_CAST "fldCharType", BAD_CAST OOXML_NS_W);
    if (t && strcmp((const char *)t, "begin") == 0) {
        struct ooxml_field *f = g_new0(struct ooxml_field, 1);
        f->instr = g_string_new(NULL);
        f->code = g_ptr_array_new();
        g_ptr_array_add(f->code, n);
        g_ptr_array_add(open, f);
    } else if (t && open->len) {
        struct ooxml_field *f = g_ptr_array_index(open, open->len - 1);
        g_ptr_array_add(f->code, n);
        if (strcmp((const char *)t, "end") == 0) {
            if (ooxml_dde_instr(f->instr->str))
                for (guint i = 0; i < f->code->len; i++)
                    g_ptr_array_add(doomed, g_ptr_array_index(f->code, i));
            g_ptr_array_remove_index(open, open->len - 1);
            ooxml_field_free(f);
        }
    }
    xmlFree(t);
}

/* Remove the DOOMED field codes, and unwrap the simple fields in UNWRAP (their content
 * takes their place). */
static void ooxml_dde_remove(GPtrArray *doomed, GPtrArray *unwrap)
{
    for (guint i = 0; i < doomed->len; i++) {
        xmlNodePtr d = g_ptr_array_index(doomed, i);
        xmlUnlinkNode(d);
        xmlFreeNode(d);
    }
    for (guint i = 0; i < unwrap->len; i++) {
        xmlNodePtr f = g_ptr_array_index(unwrap, i);
        while (f->children) {
            xmlNodePtr c = f->children;
            xmlUnlinkNode(c);
            xmlAddPrevSibling(f, c);
        }
        xmlUnlinkNode(f);
        xmlFreeNode(f);
    }
}

/* Word fields whose code is DDE or DDEAUTO lose their code (begin, instruction,
 * separator, end marks); the result Word last showed stays as plain text.  Simple fields
 * (w:fldSimple) are unwrapped the same way.  True when anything changed. */
static bool ooxml_cut_dde(xmlNodePtr root)
{
    GPtrArray *open = g_ptr_array_new(); /* struct ooxml_field *, innermost last */
    GPtrArray *doomed = g_ptr_array_new();
    GPtrArray *unwrap = g_ptr_array_new();
    xmlNodePtr n = root;
    while (n) {
        if (n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
            strcmp((const char *)n->ns->href, OOXML_NS_W) == 0) {
            const char *name = (const char *)n->name;
            if (strcmp(name, "fldSimple") == 0) {
                xmlChar *instr = xmlGetNsProp(n, BAD_CAST "instr", BAD_CAST OOXML_NS_W);
                if (instr && ooxml_dde_instr((const char *)instr))
                    g_ptr_array_add(unwrap, n);
                xmlFree(instr);
            } else if (strcmp(name, "fldChar") == 0) {
                ooxml_dde_fldchar(n, open, doomed);
            } else if (strcmp(name, "instrText") == 0 && open->len) {
                struct ooxml_field *f = g_ptr_array_index(open, open->len - 1);
                xmlChar *text = xmlNodeGetContent(n);
                if (f->instr->len < 4096)
                    g_string_append(f->instr, text ? (const char *)text : "");
                xmlFree(text);
                g_ptr_array_add(f->code, n);
            }
        }
        /* document order, without recursion */
        if (n->children && n->type == XML_ELEMENT_NODE) {
            n = n->children;
            continue;
        }
        while (n && n != root && !n->next)
            n = n->parent;
        n = n && n != root ? n->next : NULL;
    }
    for (guint i = 0; i < open->len; i++) /* fields never ended: leave them */
        ooxml_field_free(g_ptr_array_index(open, i));
    bool changed = doomed->len || unwrap->len;
    ooxml_dde_remove(doomed, unwrap);
    g_ptr_array_free(open, TRUE);
    g_ptr_array_free(doomed, TRUE);
    g_ptr_array_free(unwrap, TRUE);
    return changed;
}

/* Raw bytes may hold a DDE field: field codes ("instr") and "DDE" in any case.  (Only a
 * filter: the XML decides.) */
static bool ooxml_mentions_dde(const char *buf)
{
    if (!strstr(buf, "instr"))
        return false;
    for (const char *c = buf; *c; c++)
        if ((*c == 'd' || *c == 'D') && g_ascii_strncasecmp(c, "dde", 3) == 0)
            return true;
    return false;
}

/* Raw bytes of a part mention something ooxml_stop_updates() changes. */
static bool ooxml_mentions_updates(const char *buf)
{
    static const char *const words[] = {
        "updateFields", "updateLinks",     "UpdateMode", "oleUpdate",
        "autoLoad",     "updateAutomatic", NULL};
    for (const char *const *w = words; *w; w++)
        if (strstr(buf, *w))
            return true;
    return false;
}

/* Parts where links update by themselves: Word settings, the workbook, and every part
 * with an external OLE link. */
static bool ooxml_updates(struct ooxml *o)
{
    for (guint i = 0; i < o->parts->len; i++) {
        struct ooxml_part *p = g_ptr_array_index(o->parts, i);
        bool candidate = p == o->main;
        const char *base = strrchr(p->key, '/');
        if (p->dropped || p->dir)
            continue;
        if (base && strcmp(base, "/settings.xml") == 0)
            candidate = true;
        for (guint k = 0; p->rels && k < p->rels->len; k++) {
            struct ooxml_rel *rel = g_ptr_array_index(p->rels, k);
            if (rel->external && strcmp(ooxml_last_segment(rel->type), "oleobject") == 0)
                candidate = true;
        }
        /* Word's story parts (document, headers, footers, notes, comments) hold fields */
        bool word = p->ct &&
                    g_str_has_prefix(p->ct, "application/vnd.openxmlformats-"
                                            "officedocument.wordprocessingml.") &&
                    g_str_has_suffix(p->ct, "+xml");
        word = word || (p == o->main &&
                        (o->family == SANITIZE_FAMILY_DOCX || o->family == SANITIZE_FAMILY_DOTX));
        if (!candidate && !word)
            continue;
        bool updates = false, dde = false;
        if (!p->doc) {
            size_t len = 0;
            char *buf = ooxml_read(o, p, &len);
            if (!buf)
                return false;
            updates = candidate && ooxml_mentions_updates(buf);
            dde = word && ooxml_mentions_dde(buf);
            g_free(buf);
            if (!updates && !dde)
                continue;
            if (!(p->doc = ooxml_parse(o, p)))
                return false;
        } else {
            updates = candidate;
            dde = word;
        }
        bool changed = false;
        if (updates && ooxml_stop_updates(xmlDocGetRootElement(p->doc)))
            changed = true;
        if (dde && ooxml_cut_dde(xmlDocGetRootElement(p->doc)))
            changed = true;
        if (changed) {
            p->changed = true;
            o->removed |= SANITIZE_EXT_LINKS;
        }
    }
    return true;
}

/* Apply the decisions to the XML that stays: relationships, the elements that referred
 * to removed ones, [Content_Types].xml. */
static bool ooxml_edit(struct ooxml *o)
{
    for (guint i = 0; i <= o->parts->len; i++) {
        struct ooxml_part *p = i < o->parts->len ? g_ptr_array_index(o->parts, i) : NULL;
        GPtrArray *rels = p ? p->rels : o->root_rels;
        struct ooxml_part *rp = p ? p->rels_part : o->root_rels_part;
        bool any = false;
        if ((p && p->dropped) || !rels || !rp)
            continue;
        for (guint k = 0; k < rels->len; k++)
            any |= ((struct ooxml_rel *)g_ptr_array_index(rels, k))->removed != 0;
        if (!any)
            continue;
        /* the .rels part */
        xmlNodePtr root = xmlDocGetRootElement(rp->doc);
        for (xmlNodePtr n = root->children; n;) {
            xmlNodePtr next = n->next;
            const char *id = ooxml_attr(n, "Id");
            if (ooxml_is(n, OOXML_NS_PKG_REL, "Relationship") && id &&
                ooxml_rel_removed(rels, id)) {
                xmlUnlinkNode(n);
                xmlFreeNode(n);
            }
            n = next;
        }
        rp->changed = true;
        /* the part itself */
        if (p) {
            if (!p->doc && !(p->doc = ooxml_parse(o, p)))
                return false;
            if (ooxml_cut_refs(xmlDocGetRootElement(p->doc), rels))
                p->changed = true;
        }
    }
    /* [Content_Types].xml: no entries for what went, the macro-free main type */
    xmlNodePtr root = xmlDocGetRootElement(o->ct_part->doc);
    for (xmlNodePtr n = root->children; n;) {
        xmlNodePtr next = n->next;
        const char *ct = ooxml_attr(n, "ContentType");
        bool drop = false;
        if (ooxml_is(n, OOXML_NS_CT, "Override") && ooxml_attr(n, "PartName")) {
            char *key = ooxml_key(ooxml_attr(n, "PartName"));
            struct ooxml_part *p = g_hash_table_lookup(o->by_key, key);
            g_free(key);
            if (p && p->dropped)
                drop = true;
            else if (p == o->main)
                xmlSetProp(n, BAD_CAST "ContentType", BAD_CAST ooxml_family_ct[o->family]);
        } else if (ooxml_is(n, OOXML_NS_CT, "Default") && ct) {
            char *lower = g_ascii_strdown(ct, -1);
            for (size_t k = 0; k < G_N_ELEMENTS(ooxml_drop_types); k++)
                if (ooxml_match(ooxml_drop_types[k].ct, lower))
                    drop = true;
            g_free(lower);
        }
        if (drop) {
            xmlUnlinkNode(n);
            xmlFreeNode(n);
        }
        n = next;
    }
    if (!g_hash_table_contains(o->overrides, o->main->key)) {
        /* The main type came from a Default: give it an Override of its own. */
        xmlNodePtr ov = xmlNewChild(root, root->ns, BAD_CAST "Override", NULL);
        char *name = g_strconcat("/", o->main->name, NULL);
        xmlNewProp(ov, BAD_CAST "PartName", BAD_CAST name);
        xmlNewProp(ov, BAD_CAST "ContentType", BAD_CAST ooxml_family_ct[o->family]);
        g_free(name);
    }
    o->ct_part->changed = true;
    return true;
}

/* ---- writing the copy ----------------------------------------------------------------- */

static bool ooxml_add(struct ooxml *o, zip_t *out, struct ooxml_part *p)
{
    zip_source_t *src;
    if (p->changed) {
        xmlChar *mem = NULL;
        int len = 0;
        xmlDocDumpMemoryEnc(p->doc, &mem, &len, "UTF-8");
        if (!mem || len <= 0) {
            sanitize_refuse(o->r, "the sanitized copy could not be written (%s)", p->name);
            xmlFree(mem);
            return false;
        }
        /* libzip owns the copy from here and free()s it after zip_close() */
        void *copy = malloc((size_t)len);
        if (copy)
            memcpy(copy, mem, (size_t)len);
        xmlFree(mem);
        src = copy ? zip_source_buffer(out, copy, (zip_uint64_t)len, 1) : NULL;
        if (!src) {
            free(copy);
            goto fail;
        }
    } else {
        src = zip_source_zip(out, o->zip, p->index, 0, 0, -1);
        if (!src)
            goto fail;
    }
    zip_int64_t idx = zip_file_add(out, p->name, src, ZIP_FL_ENC_GUESS);
    if (idx < 0) {
        zip_source_free(src);
        goto fail;
    }
    zip_set_file_compression(out, (zip_uint64_t)idx, ZIP_CM_DEFLATE, 6);
    zip_stat_t st;
    if (zip_stat_index(o->zip, p->index, 0, &st) == 0 && (st.valid & ZIP_STAT_MTIME))
        zip_file_set_mtime(out, (zip_uint64_t)idx, st.mtime, 0);
    return true;
fail:
    sanitize_refuse(o->r, "the sanitized copy could not be written (%s)",
                    zip_error_strerror(zip_get_error(out)));
    return false;
}

static void ooxml_write(struct ooxml *o, int fd)
{
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t *buf = zip_source_buffer_create(NULL, 0, 0, &err);
    zip_t *out = buf ? zip_open_from_source(buf, ZIP_TRUNCATE, &err) : NULL;
    if (!out) {
        sanitize_refuse(o->r, "the sanitized copy could not be made (%s)",
                        zip_error_strerror(&err));
        zip_error_fini(&err);
        if (buf)
            zip_source_free(buf);
        return;
    }
    zip_source_keep(buf);
    /* [Content_Types].xml first: type detection (libmagic) looks for it there. */
    bool ok = ooxml_add(o, out, o->ct_part);
    for (guint i = 0; ok && i < o->parts->len; i++) {
        struct ooxml_part *p = g_ptr_array_index(o->parts, i);
        if (p != o->ct_part && !p->dropped && !p->dir)
            ok = ooxml_add(o, out, p);
    }
    if (!ok) {
        zip_discard(out);
        zip_source_free(buf);
        return;
    }
    if (zip_close(out) != 0) {
        /* a member's data failed its CRC or would not inflate */
        int code = zip_error_code_zip(zip_get_error(out));
        const char *text = zip_error_strerror(zip_get_error(out));
        if (code == ZIP_ER_CRC || code == ZIP_ER_ZLIB || code == ZIP_ER_COMPRESSED_DATA ||
            code == ZIP_ER_INCONS || code == ZIP_ER_EOF || code == ZIP_ER_READ)
            sanitize_refuse(o->r, "damaged: %s", text);
        else
            sanitize_refuse(o->r, "the sanitized copy could not be made (%s)", text);
        zip_discard(out);
        zip_source_free(buf);
        return;
    }
    zip_stat_t st;
    if (zip_source_open(buf) != 0 || zip_source_stat(buf, &st) != 0) {
        sanitize_refuse(o->r, "the sanitized copy could not be read back");
        zip_source_free(buf);
        return;
    }
    char chunk[65536];
    for (;;) {
        zip_int64_t n = zip_source_read(buf, chunk, sizeof(chunk));
        if (n < 0) {
            sanitize_refuse(o->r, "the sanitized copy could not be read back");
            break;
        }
        if (n == 0)
            break;
        if (!sanitize_write(fd, chunk, (size_t)n, o->lim, o->r))
            break;
    }
    zip_source_close(buf);
    zip_source_free(buf);
}

/* ---- the whole ------------------------------------------------------------------------ */

static bool ooxml_index(struct ooxml *o)
{
    zip_int64_t n = zip_get_num_entries(o->zip, 0);
    if (n < 0 || (uint64_t)n > o->lim->max_parts) {
        sanitize_refuse(o->r, "too many parts to sanitize (%lld; the limit is %u)", (long long)n,
                        o->lim->max_parts);
        return false;
    }
    uint64_t total = 0;
    for (zip_int64_t i = 0; i < n; i++) {
        zip_stat_t st;
        if (zip_stat_index(o->zip, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) ||
            !(st.valid & ZIP_STAT_SIZE)) {
            sanitize_refuse(o->r, "damaged: part %lld cannot be read", (long long)i);
            return false;
        }
        if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
            sanitize_refuse(o->r, "encrypted: its contents cannot be checked");
            return false;
        }
        if (st.size > o->lim->max_part || (total += st.size) > o->lim->max_total) {
            sanitize_refuse(o->r, "too large to sanitize once unpacked (more than %llu bytes)",
                            (unsigned long long)(st.size > o->lim->max_part ? o->lim->max_part
                                                                            : o->lim->max_total));
            return false;
        }
        struct ooxml_part *p = g_new0(struct ooxml_part, 1);
        p->name = g_strdup(st.name);
        p->key = ooxml_key(st.name);
        p->index = (zip_uint64_t)i;
        p->size = st.size;
        p->dir = st.name[0] && st.name[strlen(st.name) - 1] == '/';
        g_ptr_array_add(o->parts, p);
        if (p->dir)
            continue;
        if (g_hash_table_contains(o->by_key, p->key)) {
            sanitize_refuse(o->r, "damaged: two parts named %.100s", p->key);
            return false;
        }
        g_hash_table_insert(o->by_key, p->key, p);
        if (strcmp(p->key, OOXML_CT_PART) == 0)
            o->ct_part = p;
    }
    if (!o->ct_part) {
        sanitize_refuse(o->r, "damaged: not an Office document ([Content_Types].xml is missing)");
        return false;
    }
    return true;
}

void sanitize_ooxml(const uint8_t *data, size_t len, enum sanitize_mode mode, int out,
                    const struct sanitize_limits *lim, struct sanitize_result *r)
{
    struct ooxml o = {.lim = lim, .r = r};
    zip_error_t err;

    memset(r, 0, sizeof(*r));
    xmlSetGenericErrorFunc(NULL, ooxml_xml_quiet);
    xmlSetStructuredErrorFunc(NULL, NULL);
    o.parts = g_ptr_array_new_with_free_func(ooxml_part_free);
    o.by_key = g_hash_table_new(g_str_hash, g_str_equal);
    o.defaults = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    o.overrides = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

    zip_error_init(&err);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &err);
    if (src)
        o.zip = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (!o.zip) {
        int code = zip_error_code_zip(&err);
        if (code == ZIP_ER_NOZIP || code == ZIP_ER_INCONS || code == ZIP_ER_EOF ||
            code == ZIP_ER_MULTIDISK)
            sanitize_refuse(r, "damaged: not a readable ZIP package (%s)",
                            zip_error_strerror(&err));
        else
            sanitize_refuse(r, "the package could not be opened (%s)", zip_error_strerror(&err));
        if (src)
            zip_source_free(src);
        goto out;
    }
    if (!ooxml_index(&o) || !ooxml_content_types(&o) || !ooxml_relationships(&o) ||
        !ooxml_find_main(&o) || !ooxml_decide(&o))
        goto out;
    ooxml_collect(&o);
    if (!ooxml_updates(&o))
        goto out;
    if (!o.removed) {
        r->status = SANITIZE_NOTHING;
        goto out;
    }
    if (mode == SANITIZE_CHECK) {
        r->status = SANITIZE_FOUND;
        r->removed = o.removed;
        goto out;
    }
    if (!ooxml_edit(&o))
        goto out;
    ooxml_write(&o, out);
    if (r->status != SANITIZE_REFUSED) {
        r->status = SANITIZE_REWRITTEN;
        r->removed = o.removed;
        r->family = o.family;
    }
out:
    if (o.zip)
        zip_discard(o.zip); /* frees src */
    if (o.root_rels)
        g_ptr_array_free(o.root_rels, TRUE);
    g_ptr_array_free(o.parts, TRUE);
    g_hash_table_destroy(o.by_key);
    g_hash_table_destroy(o.defaults);
    g_hash_table_destroy(o.overrides);
}
